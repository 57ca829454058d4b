/** The record of a cluster its entity starts from: what the catalogue declares (status, template, version). */
import type { Catalogue, Cluster } from '../../model/catalogue.js';
import type { ClusterRecord } from '../../model/record.js';
import { findTemplate } from './load.js';

export function declaredRecord(catalogue: Catalogue, cluster: Cluster): ClusterRecord {
  const template = findTemplate(catalogue, cluster.template);
  return {
    cluster: cluster.name,
    status: cluster.status,
    status_reason: 'declared in the catalogue',
    template: template.name,
    coe_version: template.labels.kube_tag ?? '',
    updated_at: new Date(0).toISOString(),
  };
}
