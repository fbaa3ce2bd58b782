/**
 * Characters that show nothing, in one place: what the admin input guard refuses as invisible, what provisioned
 * fields refuse, and what makes a name blank.
 *
 * Unicode's Default_Ignorable_Code_Point set is what a renderer draws nothing for (zero-width spaces, bidi marks,
 * invisible operators, the Hangul fillers, tag characters...): two names that differ only by them look the same.
 * Text needs a few of them: ZWNJ and ZWJ (Persian, Indic scripts, emoji sequences), the variation selectors
 * (emoji and CJK forms) and the Mongolian free variation selectors.
 */
const NEEDED = '\\u180B-\\u180D\\u180F\\u200C\\u200D\\uFE00-\\uFE0F\\u{E0100}-\\u{E01EF}';

/** The default-ignorable characters text needs (see above). */
export const TEXT_IGNORABLE = new RegExp(`[${NEEDED}]`, 'u');

/** A default-ignorable character that text does not need: invisible, and refused wherever people type names. */
export const INVISIBLE = new RegExp(`(?![${NEEDED}])\\p{Default_Ignorable_Code_Point}`, 'u');

/**
 * Only characters that show nothing: white space, default-ignorables, the blanks that are neither (U+2800
 * braille pattern blank, U+1D159 musical null notehead), and combining marks, which with no character to sit on
 * show nothing of their own. "\u3164\u3164" and "\u0301\u0301" are such names; "" is not (it is empty).
 */
const BLANK = /^[\p{White_Space}\p{Default_Ignorable_Code_Point}\p{M}\u2800\u{1D159}]+$/u;

/** A code point as people look it up: U+00A0, U+1D159. */
export const codePoint = (cp: number) => `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * Why a value that is not empty has nothing visible in it ("has only characters that show nothing (U+3164,
 * U+2800)"), or undefined when it has a visible character (or is empty).
 */
export function blankReason(value: string): string | undefined {
  if (!BLANK.test(value)) return undefined;
  const codes = [...new Set(Array.from(value, (ch) => ch.codePointAt(0)!))];
  const shown = codes.slice(0, 5).map(codePoint).join(', ') + (codes.length > 5 ? ', …' : '');
  return `has only characters that show nothing (${shown}); it must have a visible character`;
}
