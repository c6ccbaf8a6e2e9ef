// Home Assistant value templates in the forms devices actually announce, evaluated without Jinja:
//   {{ value }}  {{ value_json.a.b }}  {{ value_json['ENERGY']['Total'] }}  {{ value_json.x[0] }}
//   with | float, | float(0), | int, | round(n), | default(x), | abs, and * / + - by a number, in parentheses.
// Anything else is refused when the discovery message arrives (a counted drop naming the template),
// rather than guessed at on every reading.

export type TemplateValue = number | string | boolean | null;
export type CompiledTemplate = (value: string, json: unknown) => TemplateValue;

type Token = { t: 'num'; v: number } | { t: 'str'; v: string } | { t: 'id'; v: string } | { t: 'op'; v: string };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (/[0-9]/.test(c)) {
      const m = /^\d+(\.\d+)?/.exec(src.slice(i))!;
      out.push({ t: 'num', v: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      out.push({ t: 'id', v: m[0] });
      i += m[0].length;
    } else if (c === "'" || c === '"') {
      const end = src.indexOf(c, i + 1);
      if (end < 0) throw new Error('unterminated string');
      out.push({ t: 'str', v: src.slice(i + 1, end) });
      i = end + 1;
    } else if ('.[]()|*/+-,'.includes(c)) {
      out.push({ t: 'op', v: c });
      i++;
    } else {
      throw new Error(`unexpected ${JSON.stringify(c)}`);
    }
  }
  return out;
}

type Expr = (value: string, json: unknown) => TemplateValue | undefined;

const MAX_TOKENS = 256;

const FILTERS = new Set(['float', 'int', 'round', 'default', 'abs', 'string', 'lower', 'upper']);

/** Compiles a template; throws with the reason when it is not one of the supported forms. */
export function compileTemplate(template: string): CompiledTemplate {
  const m = /^\s*\{\{(.*)\}\}\s*$/s.exec(template);
  if (!m) throw new Error('not a {{ ... }} expression');
  const tokens = tokenize(m[1]!);
  // Each operator and filter becomes one nested step, run on every reading: thousands of them
  // overflow the stack there. The forms devices announce take a few dozen tokens.
  if (tokens.length > MAX_TOKENS) throw new Error(`longer than ${MAX_TOKENS} tokens`);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const take = (): Token => {
    const t = tokens[pos++];
    if (!t) throw new Error('unexpected end');
    return t;
  };
  const expectOp = (v: string): void => {
    const t = take();
    if (t.t !== 'op' || t.v !== v) throw new Error(`expected '${v}'`);
  };

  function primary(): Expr {
    const t = take();
    if (t.t === 'num') return () => t.v;
    if (t.t === 'str') return () => t.v;
    if (t.t === 'op' && t.v === '(') {
      const e = expression();
      expectOp(')');
      return e;
    }
    if (t.t === 'op' && t.v === '-') {
      const e = primary();
      return (v, j) => {
        const x = e(v, j);
        return typeof x === 'number' ? -x : undefined;
      };
    }
    if (t.t === 'id' && t.v === 'value') return (v) => v;
    if (t.t === 'id' && t.v === 'value_json') {
      const path: Array<string | number> = [];
      for (;;) {
        const n = peek();
        if (n?.t === 'op' && n.v === '.') {
          pos++;
          const k = take();
          if (k.t !== 'id') throw new Error('expected a key after "."');
          path.push(k.v);
        } else if (n?.t === 'op' && n.v === '[') {
          pos++;
          const k = take();
          if (k.t !== 'str' && k.t !== 'num') throw new Error('expected a key or index in [ ]');
          path.push(k.v);
          expectOp(']');
        } else break;
      }
      return (_v, json) => {
        let cur: unknown = json;
        for (const k of path) {
          if (typeof cur !== 'object' || cur === null) return undefined;
          cur = (cur as Record<string | number, unknown>)[k];
        }
        return cur === undefined ? undefined : typeof cur === 'object' && cur !== null ? undefined : (cur as TemplateValue);
      };
    }
    throw new Error(`unsupported ${t.t === 'id' ? `name '${t.v}'` : `'${String(t.v)}'`}`);
  }

  function filtered(): Expr {
    let e = primary();
    while (peek()?.t === 'op' && peek()!.v === '|') {
      pos++;
      const f = take();
      if (f.t !== 'id' || !FILTERS.has(f.v)) throw new Error(`unsupported filter ${f.t === 'id' ? f.v : String(f.v)}`);
      const args: Array<TemplateValue> = [];
      if (peek()?.t === 'op' && peek()!.v === '(') {
        pos++;
        while (!(peek()?.t === 'op' && peek()!.v === ')')) {
          const a = take();
          if (a.t === 'num' || a.t === 'str') args.push(a.v);
          else if (a.t === 'op' && a.v === ',') continue;
          else if (a.t === 'op' && a.v === '-' && peek()?.t === 'num') args.push(-(take() as { v: number }).v);
          else throw new Error(`unsupported argument to ${f.v}`);
        }
        pos++;
      }
      const inner = e;
      const name = f.v;
      e = (v, j) => applyFilter(name, inner(v, j), args);
    }
    return e;
  }

  function term(): Expr {
    let e = filtered();
    while (peek()?.t === 'op' && (peek()!.v === '*' || peek()!.v === '/')) {
      const op = take().v;
      const l = e;
      const r = filtered();
      e = (v, j) => arith(op as string, l(v, j), r(v, j));
    }
    return e;
  }

  function expression(): Expr {
    let e = term();
    while (peek()?.t === 'op' && (peek()!.v === '+' || peek()!.v === '-')) {
      const op = take().v;
      const l = e;
      const r = term();
      e = (v, j) => arith(op as string, l(v, j), r(v, j));
    }
    // A trailing filter applies to the whole sum, as in `value_json.x / 10 | round(1)` read loosely by people.
    return e;
  }

  const root = expression();
  if (pos !== tokens.length) throw new Error(`unsupported ${JSON.stringify(String(tokens[pos]!.v))}`);
  return (value, json) => root(value, json) ?? null;
}

function toNumber(x: TemplateValue | undefined): number | undefined {
  if (typeof x === 'number') return x;
  if (typeof x === 'string' && /^\s*-?\d+(\.\d+)?([eE][-+]?\d+)?\s*$/.test(x)) return Number(x);
  if (typeof x === 'boolean') return x ? 1 : 0;
  return undefined;
}

function arith(op: string, a: TemplateValue | undefined, b: TemplateValue | undefined): TemplateValue | undefined {
  const x = toNumber(a);
  const y = toNumber(b);
  if (x === undefined || y === undefined) return undefined;
  const r = op === '*' ? x * y : op === '/' ? (y === 0 ? NaN : x / y) : op === '+' ? x + y : x - y;
  return Number.isFinite(r) ? r : undefined;
}

function applyFilter(name: string, x: TemplateValue | undefined, args: TemplateValue[]): TemplateValue | undefined {
  switch (name) {
    case 'float':
    case 'int': {
      const n = toNumber(x);
      if (n === undefined) return args.length > 0 ? args[0]! : undefined;
      return name === 'int' ? Math.trunc(n) : n;
    }
    case 'round': {
      const n = toNumber(x);
      const digits = typeof args[0] === 'number' ? Math.max(0, Math.min(10, Math.trunc(args[0]))) : 0;
      return n === undefined ? undefined : Math.round(n * 10 ** digits) / 10 ** digits;
    }
    case 'abs': {
      const n = toNumber(x);
      return n === undefined ? undefined : Math.abs(n);
    }
    case 'default':
      return x === undefined || x === null ? (args[0] ?? null) : x;
    case 'string':
      return x === undefined || x === null ? x : String(x);
    case 'lower':
      return typeof x === 'string' ? x.toLowerCase() : x;
    case 'upper':
      return typeof x === 'string' ? x.toUpperCase() : x;
    default:
      return undefined;
  }
}
