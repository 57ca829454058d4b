/**
 * The input of `rollingUpgrade`, declared once: each option's type, default, error message, `start`
 * flag and README line come from this schema (valibot). workflows/input.ts checks the workflow input
 * with it (the input may come from `temporal workflow start --input`), client/options.ts makes the
 * `start` flags from it, and test/unit/options.test.ts holds the README's options table to it.
 *
 * Workflow code imports this module, and the sandbox evaluates it for every workflow it runs:
 * valibot's schemas are plain objects, cheap to build, with no clock, randomness or Node built-ins.
 */
import * as v from 'valibot';
import { parseWindows } from '../workflows/window.js';

/**
 * How an option is shown: the `start` flag's help and the README's options table (a type, not an
 * interface: valibot's metadata must be a plain record).
 */
export type OptionDoc = {
  /** the `start` argument or flag, as commander spells it (`<cluster>`, `--drain-timeout <seconds>`) */
  cli: string;
  /** what the option does: the flag's help and the README's meaning */
  help: string;
  /** said in the README only, after `help` */
  more?: string;
  /** the README's default where the value says little ("always" for no windows) */
  defaultText?: string;
};

/*
 * Messages are rules that read after the option's name (`problems` puts `"maxSurge"` before
 * `must be a whole number >= 0`), one rule for every check of an option, so a problem is named once.
 */
const seconds = (min: number) => {
  const rule = `must be a number of seconds >= ${min}`;
  return v.pipe(v.number(rule), v.finite(rule), v.minValue(min, rule));
};

const whole = (min: number, rule = `must be a whole number >= ${min}`) =>
  v.pipe(v.number(rule), v.integer(rule), v.minValue(min, rule));

const yesNo = () => v.boolean('must be true or false');

const required = (what: string) => {
  const rule = `(${what}) is required`;
  return v.pipe(v.string(rule), v.nonEmpty(rule));
};

const UNAVAILABLE = 'must be a whole number >= 1 or a percentage such as "10%"';
const percentage = v.pipe(
  v.string(UNAVAILABLE),
  v.regex(/^\d+(\.\d+)?%$/, UNAVAILABLE),
  v.check((p) => Number(p.slice(0, -1)) > 0 && Number(p.slice(0, -1)) <= 100, UNAVAILABLE),
);

export const DRAIN_TIMEOUT_ACTIONS = ['pause', 'force', 'abort'] as const;

const PROBES = 'must be a list of {"url": "http://...", "successes": 1-20, "intervalMs": ms, "timeoutMs": ms}';
const probeMs = v.pipe(v.number(PROBES), v.gtValue(0, PROBES), v.maxValue(60_000, PROBES));

/** Probes per upgrade: each gate runs them all at once. */
export const MAX_PROBES = 10;

/** An HTTP probe: passes when it answers 2xx/3xx `successes` times in a row. */
export const ProbeSchema = v.object(
  {
    url: v.pipe(v.string(PROBES), v.regex(/^https?:\/\//, PROBES)),
    successes: v.optional(
      v.pipe(v.number(PROBES), v.integer(PROBES), v.minValue(1, PROBES), v.maxValue(20, PROBES)),
      3,
    ),
    intervalMs: v.optional(probeMs),
    timeoutMs: v.optional(probeMs),
  },
  PROBES,
);

const ACCEPT = 'must be true, false or a list of problem keys such as "node/minion-1 not Ready"';
/** Problem keys an upgrade may accept by name. */
export const MAX_ACCEPTED = 200;

const WINDOWS = 'must be a list of strings like "Sat,Sun 02:00-06:00 Pacific/Auckland"';
const windows = v.pipe(
  v.array(v.string(WINDOWS), WINDOWS),
  // parseWindows's message is a whole sentence: it names every bad window and what one looks like
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    try {
      parseWindows(dataset.value);
    } catch (err) {
      addIssue({ message: (err as Error).message });
    }
  }),
);

/** An option the input may leave out: its schema, its default and how it is shown. */
function option<S extends v.GenericSchema, D extends v.Default<S, undefined>>(schema: S, fallback: D, doc: OptionDoc) {
  return v.pipe(v.optional(schema, fallback), v.metadata(doc));
}

/** The options: everything but what to upgrade, each with a safe default. */
const OPTIONS = {
  maxUnavailable: option(v.union([whole(1, UNAVAILABLE), percentage], UNAVAILABLE), 1, {
    cli: '--max-unavailable <n>',
    help: 'workers upgraded at once: a count or a percentage such as `"10%"`',
  }),
  maxSurge: option(whole(0, 'must be a whole number >= 0 (new nodes registered before old ones are drained)'), 0, {
    cli: '--max-surge <n>',
    help: 'replace workers by surge, this many at a time: a new node is Ready at the new version before the old one drains',
    more:
      'The new node is `<old>-v1-12-7`; the old one is then cordoned, drained and retired, so capacity never drops. ' +
      'Needs a provider that registers new nodes (kwok); control-plane nodes are always upgraded in place; ' +
      '`maxUnavailable` then does not apply. An abort keeps the new node and uncordons the old one.',
  }),
  drainTimeoutSeconds: option(seconds(1), 600, {
    cli: '--drain-timeout <seconds>',
    help: 'how long evictions may be refused before the operator decides',
  }),
  onDrainTimeout: option(
    v.picklist(DRAIN_TIMEOUT_ACTIONS, `must be one of ${DRAIN_TIMEOUT_ACTIONS.join(', ')}`),
    'pause',
    {
      cli: '--on-drain-timeout <action>',
      help: 'when the drain timeout expires: `pause` (wait for the operator), `force` (delete the pods) or `abort`',
    },
  ),
  gracePeriodSeconds: option(v.pipe(seconds(0), v.integer('must be a whole number of seconds')), undefined, {
    cli: '--grace-period <seconds>',
    help: 'grace period given to evicted pods',
    defaultText: "each pod's own",
  }),
  deleteEmptyDirData: option(yesNo(), false, {
    cli: '--delete-emptydir-data',
    help: 'evict pods that use emptyDir volumes (their data is lost)',
  }),
  force: option(yesNo(), false, {
    cli: '--force',
    help: 'evict pods no controller manages (they do not come back)',
  }),
  soakSeconds: option(seconds(0), 0, {
    cli: '--soak <seconds>',
    help: 'wait after each node before its health gate',
  }),
  nodeReadyTimeoutSeconds: option(seconds(1), 600, {
    cli: '--node-ready-timeout <seconds>',
    help: 'how long a replaced node may take to be Ready at the new version',
  }),
  // A gate runs as one activity of at most 30 minutes.
  gateTimeoutSeconds: option(v.pipe(seconds(1), v.maxValue(1500, 'must be at most 1500')), 300, {
    cli: '--gate-timeout <seconds>',
    help: 'how long a health gate waits for the cluster to become healthy (at most 1500)',
  }),
  probes: option(
    v.pipe(
      v.array(ProbeSchema, PROBES),
      v.maxLength(MAX_PROBES, `must list at most ${MAX_PROBES} probes (a gate runs them all at once)`),
    ),
    [],
    {
      cli: '--probe <url...>',
      help: "HTTP probes every gate must pass, each N successes in a row (the seed's curl loop)",
      more:
        'In JSON: `[{"url": "http://…", "successes": 3}]`; the flag takes URLs and `--probe-successes` sets N. ' +
        `At most ${MAX_PROBES}, run at once within the gate's timeout; only to hosts the cluster's \`probeHosts\` in the catalogue lists.`,
      defaultText: 'none',
    },
  ),
  acceptUnhealthy: option(
    v.union(
      [
        yesNo(),
        v.pipe(
          v.array(v.pipe(v.string(ACCEPT), v.nonEmpty(ACCEPT), v.maxLength(300, ACCEPT)), ACCEPT),
          v.maxLength(MAX_ACCEPTED, `must list at most ${MAX_ACCEPTED} problem keys`),
        ),
      ],
      ACCEPT,
    ),
    undefined,
    {
      cli: '--accept-unhealthy [key...]',
      help: 'start although the pre-flight finds problems: they become the baseline, and later gates fail only on what is new or worse',
      more:
        'Alone (`true`) it accepts every problem but those of the API server, the control plane, probes and checks that could not be made; ' +
        'those are accepted only when named by key (`["node/minion-1 not Ready", "apiserver readyz etcd"]`), as the refusal and `kru plan` name them. ' +
        'A node not Ready in the baseline is left alone, at its version. Recorded in the status and the cluster record',
      defaultText: 'none: refused',
    },
  ),
  windows: option(windows, [], {
    cli: '--window <spec...>',
    help: 'maintenance windows a node may start in, e.g. `"Sat,Sun 02:00-06:00 Pacific/Auckland"`, `"daily 22:00-04:00 UTC"`',
    defaultText: 'always',
  }),
  maxHistoryEvents: option(whole(10), 4000, {
    cli: '--max-history-events <n>',
    help: 'continue as new between batches past this many history events (progress, pause and validation carry over)',
  }),
};

/** The upgrade's options, defaults filled in. */
export const UpgradeOptionsSchema = v.object(OPTIONS);

/** What to upgrade to what, then the options. */
export const INPUT = {
  cluster: v.pipe(
    required('a cluster name'),
    v.metadata({ cli: '<cluster>', help: 'name (or uuid) of the cluster in the catalogue' }),
  ),
  template: v.pipe(
    required('a template name'),
    v.metadata({ cli: '<template>', help: 'name (or uuid) of the target cluster template in the catalogue' }),
  ),
  allowSkew: option(yesNo(), false, {
    cli: '--allow-skew',
    help: 'allow a move the Kubernetes skew policy forbids (more than one minor version, a major change)',
  }),
  ...OPTIONS,
};

export type OptionName = keyof typeof INPUT;
export const OPTION_NAMES = Object.keys(INPUT) as OptionName[];

/** The workflow input; keys it does not know are refused. */
export const UpgradeInput = v.strictObject(INPUT, 'expected a JSON object like {"cluster": "...", "template": "..."}');

/** The workflow input as sent: options may be left out. */
export type UpgradeRequest = v.InferInput<typeof UpgradeInput>;
export type UpgradeOptions = v.InferOutput<typeof UpgradeOptionsSchema>;
export type Probe = v.InferInput<typeof ProbeSchema>;

/** Every option's default. */
export const DEFAULTS: UpgradeOptions = v.parse(UpgradeOptionsSchema, {});

/** How an option is shown (its `v.metadata`). */
export function optionDoc(name: OptionName): OptionDoc {
  return v.getMetadata(INPUT[name]) as OptionDoc;
}

/**
 * The problems of a refused input, as sentences naming the option, each said once: unknown options
 * first (all of them, with the known ones), then the rest in the schema's order.
 */
export function problems(issues: readonly v.BaseIssue<unknown>[]): string[] {
  const said: string[] = [];
  for (const issue of issues) {
    const item = issue.path?.[0];
    if (item?.type !== 'object') said.push(issue.message);
    else if (item.origin === 'key' && issue.expected === 'never') {
      const unknown = Object.keys(item.input).filter((k) => !OPTION_NAMES.includes(k as OptionName));
      said.unshift(`unknown option(s) ${unknown.join(', ')} (known: ${OPTION_NAMES.join(', ')})`);
    } else if (item.origin === 'key') {
      // a required key is missing: say what its own schema says of no value
      const own = v.safeParse(INPUT[item.key as OptionName], undefined).issues?.[0]?.message;
      said.push(`"${item.key}" ${own ?? 'is required'}`);
    } else said.push(issue.type === 'raw_check' ? issue.message : `"${item.key}" ${issue.message}`);
  }
  return [...new Set(said)];
}
