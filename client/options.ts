/**
 * The upgrade's command-line flags, made from the options schema (model/options.ts): each option's
 * flag, help and default come from there, and `requestFrom` turns the parsed flags into the workflow
 * input, which the schema then checks.
 */
import { Option } from 'commander';
import * as v from 'valibot';
import { INPUT, OPTION_NAMES, optionDoc, ProbeSchema, type OptionName, type UpgradeRequest } from '../model/options.js';

/** Flags as commander parsed them: attribute names (`drainTimeout`) to text, lists of text or switches. */
export type StartFlags = Readonly<Record<string, unknown>>;

/** Options set by a flag (the cluster and the template are arguments). */
const FLAGGED = OPTION_NAMES.filter((name) => optionDoc(name).cli.startsWith('--'));

const PROBE_SUCCESSES = v.getDefault(ProbeSchema.entries.successes);

/** Help texts are written for the README too: the CLI shows them without Markdown's backticks. */
const plain = (text: string) => text.replaceAll('`', '');

function flagOf(name: OptionName): Option {
  const doc = optionDoc(name);
  const help = plain(doc.help) + (doc.defaultText ? ` (default: ${doc.defaultText})` : '');
  const flag = new Option(doc.cli, help);
  const fallback = v.getDefault(INPUT[name]);
  // a switch is off unless given; a list's default is in its help
  if (typeof fallback === 'number' || typeof fallback === 'string') flag.default(fallback);
  return flag;
}

/** The flags of these options (all of them by default), new for each command that takes them. */
export function optionFlags(names: readonly OptionName[] = FLAGGED): Option[] {
  const successes = () =>
    new Option('--probe-successes <n>', 'consecutive successes each --probe needs').default(PROBE_SUCCESSES);
  return names
    .filter((name) => FLAGGED.includes(name))
    .flatMap((name) => (name === 'probes' ? [flagOf(name), successes()] : [flagOf(name)]));
}

/** Text that reads as a number becomes one; any other text is left for the schema to judge ("10%"). */
const fromText = (text: string) => (/^-?\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : text);

/** The workflow input the flags ask for; unchecked (checkRequest says what is wrong with it). */
export function requestFrom(cluster: string, template: string, flags: StartFlags): UpgradeRequest {
  const request: Record<string, unknown> = { cluster, template };
  for (const name of FLAGGED) {
    const value = flags[new Option(optionDoc(name).cli).attributeName()];
    if (value !== undefined) request[name] = typeof value === 'string' ? fromText(value) : value;
  }
  if (Array.isArray(request.probes)) {
    const successes = flags.probeSuccesses ?? PROBE_SUCCESSES;
    request.probes = request.probes.map((url: unknown) => ({
      url,
      successes: typeof successes === 'string' ? fromText(successes) : successes,
    }));
  }
  return request as UpgradeRequest;
}
