/**
 * What the upgrade tells people: webhook notifications (started, paused, drain blocked, waiting for a
 * window, gate failed, failed, aborted, completed) and the GateFailed Event on the nodes a gate judged.
 *
 * Each notification is a `notifyWebhooks` child started with ParentClosePolicy ABANDON and never awaited
 * beyond its start: an un-awaited activity would be dropped when the upgrade completes or continues as
 * new, an awaited one would hold the upgrade up for as long as a webhook is slow. `flush` waits for the
 * starts (milliseconds) before the upgrade ends or continues as new. Only events some webhook of the
 * cluster wants start anything (looked up once per run): a cluster without `notify` gets no children.
 * The notification carries the cluster's name and the facts, never a URL: the activity resolves those.
 */
import {
  CancellationScope,
  log,
  ParentClosePolicy,
  proxyLocalActivities,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { DateTime } from 'luxon';
import type { Activities } from '../../activities/index.js';
import type { GateResult } from '../../model/kube.js';
import type { Notification, NotifyEvent } from '../../model/notify.js';
import type { UpgradeStatus } from '../../model/status.js';
import { rootCause } from '../cause.js';
import type { Window } from '../window.js';
import { notifyWebhooks } from './index.js';
import { nodeEvent } from './node-events.js';
import { blockingBudgets, drainBlocked, failingChecks, gateFailed } from './words.js';

const lookup = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', maximumAttempts: 3 },
});

export class Notifier {
  private wanted: NotifyEvent[] = [];
  private readonly starting: Promise<void>[] = [];
  private seq = 0;
  /** nodes whose drain is blocked now (told once per block) */
  private blocked: string[] = [];
  /** GateFailed Events told per node in this run: each one's count */
  private readonly gateEvents: Record<string, number> = {};

  constructor(
    private readonly view: () => UpgradeStatus,
    private readonly cluster: string,
    private readonly upgradeRun: string,
  ) {}

  /** Reads which events the cluster's webhooks want; none when that cannot be read (logged). */
  async load(): Promise<void> {
    try {
      this.wanted = [...new Set((await lookup.webhooks(this.cluster)).flatMap((w) => w.events))];
    } catch (err) {
      log.warn(`the webhooks of ${this.cluster} could not be read; no notifications: ${rootCause(err)}`);
    }
  }

  /** Starts the notification's workflow if a webhook wants `event`; does not wait for it. */
  send(event: NotifyEvent, message: string, details: Record<string, unknown> = {}): void {
    if (!this.wanted.includes(event)) return;
    const s = this.view();
    const notification: Notification = {
      event,
      cluster: s.cluster || this.cluster,
      upgradeId: s.workflowId,
      ...(s.fromVersion ? { fromVersion: s.fromVersion } : {}),
      ...(s.toVersion ? { toVersion: s.toVersion } : {}),
      message,
      details,
      time: new Date().toISOString(),
    };
    const { workflowId, runId } = workflowInfo();
    const start = CancellationScope.nonCancellable(() =>
      startChild(notifyWebhooks, {
        workflowId: `${workflowId}/notify/${runId}/${++this.seq}-${event}`,
        args: [notification],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        staticSummary: `${event}: ${message}`.slice(0, 200),
      }),
    );
    this.starting.push(
      start.then(
        () => undefined,
        (err: unknown) => log.warn(`notification ${event} not started: ${rootCause(err)}`),
      ),
    );
  }

  /** Waits until every notification sent so far has its workflow started. */
  async flush(): Promise<void> {
    await Promise.all(this.starting.splice(0));
  }

  /** A status listener: tells of each node whose drain became blocked, then passes the status on. */
  watching(next: (s: UpgradeStatus) => void): (s: UpgradeStatus) => void {
    return (s) => {
      next(s);
      const now = s.nodes.filter((n) => n.step === 'blocked');
      for (const n of now.filter((x) => !this.blocked.includes(x.name))) {
        const blocked = n.blocked ?? [];
        this.send(
          'drain-blocked',
          `node ${n.name}: ${drainBlocked(n.detail ?? 'drain blocked', n.podsLeft, blocked)}`,
          {
            node: n.name,
            podsLeft: n.podsLeft ?? blocked.length,
            pods: blocked,
            budgets: blockingBudgets(blocked),
          },
        );
      }
      this.blocked = now.map((n) => n.name);
    };
  }

  started(): void {
    const s = this.view();
    const nodes = s.nodes.filter((n) => n.step === 'pending').length;
    this.send(
      'started',
      `upgrading ${s.cluster} from ${s.fromTemplate} to ${s.toTemplate}: ${nodes} of ${s.nodes.length} node(s) to upgrade`,
      { fromTemplate: s.fromTemplate, toTemplate: s.toTemplate, nodes: s.nodes.length, toUpgrade: nodes },
    );
  }

  paused(reason: string): void {
    this.send('paused', `paused: ${reason}; resume or abort`, { reason });
  }

  /** Waiting until `opens`, said in the window's zone and in UTC. */
  waiting(opens: number, window: Window): void {
    const local = DateTime.fromMillis(opens, { zone: window.zone });
    const utc = DateTime.fromMillis(opens, { zone: 'UTC' });
    const at = `${local.toFormat('yyyy-MM-dd HH:mm')} ${window.zone} (${utc.toFormat('yyyy-MM-dd HH:mm')} UTC)`;
    this.send('waiting-for-window', `waiting for maintenance window "${window.spec}" until ${at}`, {
      window: window.spec,
      zone: window.zone,
      until: utc.toISO(),
      untilLocal: local.toISO(),
    });
  }

  /** The gate after `what` failed: the webhooks are told, and each of `nodes` gets a GateFailed Event. */
  async gateFailed(what: string, nodes: string[], result: GateResult | undefined): Promise<void> {
    const message = gateFailed(what, result);
    this.send('gate-failed', message, { after: what, nodes, checks: failingChecks(result) });
    const s = this.view();
    for (const node of nodes) {
      this.gateEvents[node] = (this.gateEvents[node] ?? 0) + 1;
      await nodeEvent(this.cluster, {
        node,
        reason: 'GateFailed',
        detail: message,
        occurrence: this.gateEvents[node],
        upgradeId: s.workflowId,
        upgradeRun: this.upgradeRun,
        ...(s.fromVersion ? { fromVersion: s.fromVersion } : {}),
        ...(s.toVersion ? { toVersion: s.toVersion } : {}),
      });
    }
  }

  /**
   * How the upgrade ended (its phase: completed, aborted or failed), then waits for the starts. A request
   * refused by validation is answered to its caller only: nothing was tried on the cluster.
   */
  async ended(): Promise<void> {
    const s = this.view();
    if (s.toVersion) this.end(s);
    await this.flush();
  }

  private end(s: UpgradeStatus): void {
    const nodes = s.nodes.map((n) => ({
      name: n.replacedBy ?? n.name,
      version: n.version,
      step: n.step,
      cordoned: n.cordoned,
      ...(n.leftCordoned ? { leftCordoned: true } : {}),
    }));
    const behind = s.nodes.filter((n) => n.step !== 'done' && n.step !== 'gone').map((n) => n.name);
    const left = s.nodes.filter((n) => n.leftCordoned).map((n) => n.replacedBy ?? n.name);
    const leftText = left.length > 0 ? `; LEFT CORDONED: ${left.join(', ')}` : '';
    const lastError = s.errors[s.errors.length - 1] ?? '';
    if (s.phase === 'completed') {
      const partial = behind.length > 0 ? `; not upgraded: ${behind.join(', ')}` : '';
      this.send('completed', `${s.done} node(s) upgraded to ${s.toVersion}${partial}${leftText}`, {
        nodes,
        notUpgraded: behind,
      });
    } else if (s.phase === 'aborted') {
      this.send(
        'aborted',
        `${s.errors.find((e) => e.startsWith('abort')) ?? 'aborted'}; ${s.done} node(s) upgraded${leftText}`,
        {
          nodes,
          leftCordoned: left,
        },
      );
    } else if (s.phase === 'failed') {
      this.send('failed', `${lastError}; ${s.done} node(s) upgraded${leftText}`, {
        reason: lastError,
        nodes,
        leftCordoned: left,
      });
    }
  }
}
