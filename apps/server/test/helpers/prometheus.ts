/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4): every line must be a `# HELP`, a
 * `# TYPE` or a sample `name{label="value",…} number`; anything else throws, naming the line.
 */

/** One sample. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Parsed exposition: the declared type of each metric family and every sample. */
export interface Exposition {
  readonly types: ReadonlyMap<string, string>;
  readonly samples: readonly Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const HELP = new RegExp(`^# HELP (${NAME}) .*$`);
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
const SAMPLE = new RegExp(`^(${NAME})(\\{(.*)\\})? (\\S+)$`);
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"(,|$)/;

/** Parses `text`; throws on the first line that is not valid exposition text. */
export function parsePrometheus(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  text.split('\n').forEach((line, i) => {
    const bad = (why: string): Error => new Error(`line ${i + 1} ${JSON.stringify(line)}: ${why}`);
    if (line === '') return;
    if (line.startsWith('#')) {
      const t = TYPE.exec(line);
      if (t !== null) {
        if (types.has(t[1]!)) throw bad('a second TYPE line');
        types.set(t[1]!, t[2]!);
      } else if (!HELP.test(line)) throw bad('not a HELP or TYPE line');
      return;
    }
    const m = SAMPLE.exec(line);
    if (m === null) throw bad('not a sample');
    const labels: Record<string, string> = {};
    let rest = m[3] ?? '';
    while (rest !== '') {
      const l = LABEL.exec(rest);
      if (l === null) throw bad(`bad label set at ${JSON.stringify(rest)}`);
      labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
      rest = rest.slice(l[0].length);
    }
    const value = m[4] === '+Inf' ? Infinity : m[4] === '-Inf' ? -Infinity : Number(m[4]);
    if (Number.isNaN(value) && m[4] !== 'NaN') throw bad('value is not a number');
    const family = m[1]!.replace(/_(bucket|sum|count)$/, '');
    if (!types.has(m[1]!) && !types.has(family)) throw bad('sample of a metric without a TYPE line');
    samples.push({ name: m[1]!, labels, value });
  });
  return { types, samples };
}

/** Sum of the samples named `name` whose labels include `labels`. */
export function sampleSum(e: Exposition, name: string, labels: Readonly<Record<string, string>> = {}): number {
  return e.samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((n, s) => n + s.value, 0);
}
