import { fieldPath } from '../validation/field-path.js';

type Frame = { keys: Set<string>; current?: string } | { index: number };

/**
 * The first member name a JSON text gives twice in one object, as a field path (`role`, `config.okta.clientId`),
 * or undefined. JSON.parse keeps the last of them silently (RFC 8259 §4 leaves it undefined), so a body read one
 * way by a reviewer or a log and another by this service is refused instead. One pass, no parse: it runs on
 * text body-parser is about to parse (a text that is not JSON gives whatever, and is refused by the parser).
 */
export function firstDuplicateKey(text: string): string | undefined {
  const frames: Frame[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = i + 1;
      let escaped = false;
      while (j < text.length && text.charCodeAt(j) !== 0x22) {
        if (text.charCodeAt(j) === 0x5c /* \ */) {
          escaped = true;
          j++;
        }
        j++;
      }
      const top = frames.at(-1);
      if (expectKey && top && 'keys' in top) {
        let key = text.slice(i + 1, j);
        if (escaped) {
          try {
            key = JSON.parse(`"${key}"`) as string;
          } catch {
            return undefined; // not JSON: the parser says so
          }
        }
        if (top.keys.has(key)) return fieldPath([...frames.slice(0, -1).map((f) => ('keys' in f ? f.current! : f.index)), key]);
        top.keys.add(key);
        top.current = key;
        expectKey = false;
      }
      i = j;
    } else if (c === 0x7b /* { */) {
      frames.push({ keys: new Set() });
      expectKey = true;
    } else if (c === 0x5b /* [ */) {
      frames.push({ index: 0 });
      expectKey = false;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      frames.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      const top = frames.at(-1);
      if (top && 'index' in top) top.index++;
      expectKey = top !== undefined && 'keys' in top;
    }
  }
  return undefined;
}
