/**
 * Splits text into model-like tokens: word pieces of about 4 characters, each carrying its leading space,
 * punctuation on its own. Joining the pieces gives the text back exactly.
 */
export function splitTokens(text: string): string[] {
  const tokens: string[] = [];
  const re = /\s*(?:[\p{L}\p{N}'’]+|[^\s\p{L}\p{N}'’])|\s+$/gu;
  let consumed = 0;
  for (const match of text.matchAll(re)) {
    const piece = match[0];
    const index = match.index ?? 0;
    if (index > consumed) tokens.push(text.slice(consumed, index)); // keep anything the pattern skipped
    consumed = index + piece.length;
    const lead = piece.length - piece.trimStart().length;
    const word = piece.slice(lead);
    if (word.length <= 6) {
      tokens.push(piece);
      continue;
    }
    // Long words become several pieces, the first one keeping the leading space.
    tokens.push(piece.slice(0, lead + 4));
    for (let i = 4; i < word.length; i += 4) tokens.push(word.slice(i, i + 4));
  }
  if (consumed < text.length) tokens.push(text.slice(consumed));
  return tokens.filter((t) => t.length > 0);
}

/** A rough token count (~4 characters per token), as usage fields need. */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}
