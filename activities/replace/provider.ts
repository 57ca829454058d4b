/** What every node-replacement provider takes and returns. */
export interface ReplaceHooks {
  heartbeat(step: string): void;
  sleep(ms: number): Promise<void>;
  /** aborts when the activity is cancelled */
  signal: AbortSignal;
}

export interface ReplaceResult {
  node: string;
  /** false when the node already ran the target version (nothing done) */
  replaced: boolean;
  detail: string;
}
