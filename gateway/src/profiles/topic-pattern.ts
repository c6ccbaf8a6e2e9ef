// Device-family topics written as data: `tele/{device}/SENSOR` names its variable levels in braces.
// A pattern is an MQTT filter (each variable a '+', a trailing `{rest...}` a '#'), a matcher that
// reads the variables back, and a filler for command topics. Foreign topic trees stay here, as
// patterns, instead of being glued together across the code.

export interface TopicPattern {
  readonly text: string;
  readonly filter: string;
  match(topic: string): Record<string, string> | null;
  fill(vars: Record<string, string>): string;
}

const VAR = /^\{([a-z]+)(\.\.\.)?\}$/;

export function topicPattern(text: string): TopicPattern {
  const levels = text.split('/');
  const parts = levels.map((level, i) => {
    const m = VAR.exec(level);
    if (m?.[2] && i !== levels.length - 1) throw new Error(`${text}: {${m[1]}...} must be the last level`);
    return m ? { name: m[1]!, rest: Boolean(m[2]) } : { literal: level };
  });
  const filter = parts.map((p) => ('literal' in p ? p.literal : p.rest ? '#' : '+')).join('/');
  return {
    text,
    filter,
    match(topic) {
      const t = topic.split('/');
      const vars: Record<string, string> = {};
      for (let i = 0; i < parts.length; i++) {
        const p = parts[i]!;
        if ('literal' in p) {
          if (t[i] !== p.literal) return null;
          continue;
        }
        if (p.rest) {
          if (i >= t.length) return null;
          vars[p.name] = t.slice(i).join('/');
          return vars;
        }
        if (i >= t.length || t[i] === '') return null;
        vars[p.name] = t[i]!;
      }
      return t.length === parts.length ? vars : null;
    },
    fill(vars) {
      return parts
        .map((p) => {
          if ('literal' in p) return p.literal;
          const v = vars[p.name];
          if (v === undefined || v === '' || /[+#\u0000]/.test(v) || (!p.rest && v.includes('/'))) throw new Error(`${text}: no usable value for {${p.name}}`);
          return v;
        })
        .join('/');
    },
  };
}
