import { Tiktoken } from 'js-tiktoken/lite';
import o200kBase from 'js-tiktoken/ranks/o200k_base';

/**
 * Name of the tokenizer {@link countTokens} uses: OpenAI's o200k_base (the
 * GPT-4o / GPT-4.1 / o-series encoding). Other vendors' tokenizers differ by a
 * few percent; relative savings carry over.
 */
export const TOKENIZER = 'o200k_base';

let encoder: Tiktoken | undefined;

/**
 * Number of tokens in `text` under {@link TOKENIZER}. Pure JS with bundled
 * ranks, no IO; the encoder is built once on first use (~0.5 s) and cached.
 * Special-token markers (`<|endoftext|>`) are counted as ordinary text, never
 * rejected.
 */
export function countTokens(text: string): number {
  if (text === '') return 0;
  encoder ??= new Tiktoken(o200kBase);
  return encoder.encode(text, [], []).length;
}
