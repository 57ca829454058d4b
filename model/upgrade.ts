/** The input of `rollingUpgrade` (plain JSON, so `temporal workflow start --input` works) and its results. */

export interface UpgradeRequest {
  /** cluster name or uuid in the catalogue */
  cluster: string;
  /** target cluster template name or uuid */
  template: string;
  /** allow a move the Kubernetes skew policy forbids (more than one minor version, major change) */
  allowSkew?: boolean;
}

export interface ValidatedUpgrade {
  cluster: string;
  clusterUuid: string;
  fromTemplate: string;
  toTemplate: string;
  toTemplateUuid: string;
  fromVersion: string;
  toVersion: string;
  previousStatus: string;
}
