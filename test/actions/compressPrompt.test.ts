import { describe, expect, it } from 'vitest';
import { telegraphic } from '../../src/actions/compressTelegraphic.js';
import { compressPrompt } from '../../src/actions/compressPrompt.js';
import { countTokens } from '../../src/actions/tokenCounter.js';

/** Realistic, verbose prompt templates as teams write them (test fixtures for compression). */
const CODE_REVIEW = `You are an experienced senior software engineer who reviews pull requests.

I need you to carefully analyze the provided code and look for several different types of issues. First, check for any logical bugs or errors in the code that could cause incorrect behavior. Second, examine the code for potential security vulnerabilities that could be exploited by malicious users. Third, identify any performance bottlenecks or inefficiencies that could slow down the application. Finally, look for opportunities to improve the code's readability, maintainability, and adherence to best practices.

When you find issues, please provide a detailed explanation of what the problem is, why it's problematic, and specific recommendations for how to fix it. It is important to note that you should include code examples where appropriate in order to demonstrate the recommended changes.

Here is the code:
\`\`\`{{language}}
{{code}}
\`\`\`

Thank you very much!`;

const SUPPORT_TRIAGE = `You are a helpful customer support assistant for {company}.

Your task is to classify the customer's ticket into exactly one category. Please make sure to read the entire ticket carefully before answering, due to the fact that customers often mention the real problem at the end.

The categories are: billing, technical, account, shipping, other.

Example 1:
Input: I was charged twice for my subscription this month, please refund me.
Output: billing

Example 2:
Input: The app crashes every time I try to upload a photo.
Output: technical

Example 3:
Input: I forgot my password and the reset email never arrives.
Output: account

Example 4:
Input: My package has been stuck in transit for two weeks.
Output: shipping

Your answer should be only the category name, in lowercase, with no additional information or explanation.

Ticket: {ticket}`;

const RAG_ANSWER = `You are a knowledgeable assistant that answers questions using only the provided documentation.

I would like you to answer the user's question based on the context below. It is important that you do not make up any information that is not present in the context. In the event that the context does not contain the answer, you should say that you do not know.   Please keep your answer concise and to the point.

Please note that the user may ask about configuration, authentication, performance, and so on, and you should cite the relevant section of the documentation for each and every claim you make.



Here are the documents:
{{context}}

Question: {{question}}

Respond in Markdown with a short answer followed by a list of sources.`;

const ENTITY_EXTRACTION = `I want you to extract named entities from the text below.

Basically, you need to find all people, organizations, locations and dates. For example, if the text mentions "Apple opened a store in Paris on 3 May", you should return the organization Apple, the location Paris and the date 3 May. Kindly return the result as JSON with the keys "people", "organizations", "locations" and "dates".

Example 1: Input: Tim Cook visited Berlin in March. Output: {"people":["Tim Cook"],"organizations":[],"locations":["Berlin"],"dates":["March"]}
Example 2: Input: The WHO met in Geneva on Monday. Output: {"people":[],"organizations":["WHO"],"locations":["Geneva"],"dates":["Monday"]}

Text: \${text}`;

/** Already terse: little to gain, nothing may break. */
const TERSE = `Role: SQL expert.
Task: write one PostgreSQL query for {{question}}.
Schema: {{schema}}
Output: SQL only.`;

const ALL_FIXTURES = { CODE_REVIEW, SUPPORT_TRIAGE, RAG_ANSWER, ENTITY_EXTRACTION, TERSE } as const;

const PLACEHOLDER = /\{\{[^{}]*\}\}|\$\{[^{}]*\}|\{[A-Za-z_][\w.-]*\}/g;
const placeholders = (text: string): string[] => [...text.matchAll(PLACEHOLDER)].map((m) => m[0]);

describe('compressPrompt', () => {
  it.each([
    ['CODE_REVIEW', 15, CODE_REVIEW],
    ['SUPPORT_TRIAGE', 15, SUPPORT_TRIAGE],
    ['RAG_ANSWER', 15, RAG_ANSWER],
    ['ENTITY_EXTRACTION', 8, ENTITY_EXTRACTION],
  ] as const)('%s saves at least %i percent of real tokens', (_name, minSavingPct, template) => {
    const result = compressPrompt(template);
    expect(result.tokensBefore).toBe(countTokens(template));
    expect(result.tokensAfter).toBe(countTokens(result.text));
    expect(result.savingPct).toBeGreaterThanOrEqual(minSavingPct);
    expect(result.savingPct).toBeCloseTo(((result.tokensBefore - result.tokensAfter) / result.tokensBefore) * 100, 1);
    expect(result.transforms.length).toBeGreaterThan(0);
  });

  it('preserves every placeholder, in order, and code blocks verbatim', () => {
    for (const template of Object.values(ALL_FIXTURES)) {
      expect(placeholders(compressPrompt(template).text)).toEqual(placeholders(template));
    }
    expect(compressPrompt(CODE_REVIEW).text).toContain('```{{language}}\n{{code}}\n```');
    const tricky = 'Please answer {{ please_note }} and {for_example} using `please keep this` — for example {{input}}.';
    const out = compressPrompt(tricky).text;
    expect(out).toContain('{{ please_note }}');
    expect(out).toContain('{for_example}');
    expect(out).toContain('`please keep this`');
  });

  it('is idempotent: compressing the output again changes nothing', () => {
    for (const template of Object.values(ALL_FIXTURES)) {
      const once = compressPrompt(template);
      const twice = compressPrompt(once.text);
      expect(twice.text).toBe(once.text);
      expect(twice.tokensAfter).toBe(once.tokensAfter);
      expect(twice.savingPct).toBe(0);
    }
  });

  it('is deterministic', () => {
    for (const template of Object.values(ALL_FIXTURES)) expect(compressPrompt(template)).toEqual(compressPrompt(template));
  });

  it('drops filler and politeness but keeps the instruction, capitalised', () => {
    const out = compressPrompt('I would like you to please summarize the text. It is important to note that dates matter. Thank you!\n\n{{text}}').text;
    expect(out).toBe('Summarize the text. Dates matter.\n\n{{text}}');
  });

  it('drops thanks whole, whichever side of what they are for "in advance" stands', () => {
    for (const thanks of ['Thanks in advance for your help.', 'Thank you for your time in advance!', 'Thank you so much for all your support.']) {
      expect(compressPrompt(`Summarize the text. ${thanks}\n\n{{text}}`).text).toBe('Summarize the text.\n\n{{text}}');
    }
  });

  it('does not edit example data ("please" inside an example input is data)', () => {
    const out = compressPrompt(SUPPORT_TRIAGE).text;
    expect(out).toContain('I was charged twice for my subscription this month, please refund me. → billing');
    expect(out).not.toMatch(/Please make sure/);
  });

  it('merges repeated "Example N:" blocks into one compact list', () => {
    const result = compressPrompt(SUPPORT_TRIAGE);
    expect(result.transforms).toContain('merge_examples');
    expect(result.text).not.toMatch(/Example \d/);
    expect(result.text).toContain('Examples:\n- I was charged');
    expect(result.text).toContain('- My package has been stuck in transit for two weeks. → shipping');
  });

  it('turns ordinal prose into a bullet list and role/task sentences into key: value lines', () => {
    const result = compressPrompt(CODE_REVIEW);
    expect(result.transforms).toContain('structure_over_prose');
    expect(result.text).toMatch(/^Role: experienced senior software engineer/);
    expect(result.text).toContain('issues:\n- logical bugs or errors in the code that could cause incorrect behavior\n');
    expect(result.text).toContain('\n- improve the code');
    expect(result.text).toContain('\nPer issue: a detailed explanation of what the problem is');
    expect(compressPrompt(SUPPORT_TRIAGE).text).toContain('Task: classify');
    expect(compressPrompt(RAG_ANSWER).text).toContain('Output: Markdown');
  });

  it('uses abbreviations and shorter phrasings only where the tokenizer counts fewer tokens', () => {
    const result = compressPrompt(RAG_ANSWER);
    expect(result.text).toContain('etc.');
    expect(result.text).toContain('for every claim');
    expect(result.text).toContain('If the context');
    // "e.g." is more o200k tokens than "for example", so it stays
    expect(compressPrompt(ENTITY_EXTRACTION).text).toContain('For example');
  });

  it('merges overlapping examples: same output on one line, a repeated input once', () => {
    const blocks = [['I was charged twice.', 'billing'], ['The app crashes on start.', 'technical'], ['Refund my last invoice.', 'billing'], ['I was charged twice.', 'billing']];
    const template = `Classify the ticket.\n\n${blocks.map(([i, o], n) => `Example ${n + 1}:\nInput: ${i}\nOutput: ${o}`).join('\n\n')}\n\nTicket: {{ticket}}`;
    expect(compressPrompt(template).text).toBe(
      'Classify the ticket.\n\nExamples:\n- I was charged twice. | Refund my last invoice. → billing\n- The app crashes on start. → technical\n\nTicket: {{ticket}}',
    );
  });

  it('output requests become a terse spec that keeps every limit', () => {
    const out = compressPrompt('Write a reply to the email. The whole reply should be between 80 and 120 words long. Your answer should be written in a formal tone.\n\n{{email}}').text;
    expect(out).toBe('Write a reply to the email. Length: 80–120 words. Tone: formal.\n\n{{email}}');
  });

  it('aggressive drops persona filler from the role but keeps what the role does', () => {
    const out = compressPrompt('You are a creative and talented copywriter who writes ads.\n\n{{brief}}', { level: 'aggressive' }).text;
    expect(out).toBe('Role: creative copywriter writing ads.\n\n{{brief}}');
  });

  it('telegraphic phrasing keeps subjects, negations, quotes and verbs it does not know', () => {
    const line = (text: string): string => telegraphic(text);
    expect(line('Use only the tables that analysts use.')).toBe('Use only the tables that analysts use.');
    expect(line('Return a JSON object that maps each string to its translation.')).toBe('Return a JSON object that maps each string to translation.');
    expect(line('The field is not required. The light is red.')).toBe('The field is not required. The light is red.');
    expect(line('Reply with "Your order is shipped" when it is shipped.')).toBe('Reply with "Your order is shipped" when it is shipped.');
    expect(line('A paragraph that describes the product, so that it sounds natural.')).toBe('A paragraph describing the product, so it sounds natural.');
    expect(line('Errors are reported by the linter.')).toBe('Errors are reported by the linter.');
  });

  it('drops hedges and "you should" only where a clause starts, never inside one', () => {
    const out = compressPrompt('Help users who try to log in. If you should see an error, report it. Try to be brief.', { level: 'aggressive' }).text;
    expect(out).toContain('users who try to log in');
    expect(out).toContain('If you should see');
    expect(out).toContain('Be brief.');
    expect(compressPrompt('Do not change the meaning in any way. Do not make up any values. Use just-in-time loading.').text).toBe(
      'Do not change the meaning in any way. Do not make up values. Use just-in-time loading.',
    );
  });

  it('collapses whitespace runs', () => {
    const out = compressPrompt('Summarize   the text.\n\n\n\n\nText:  {{text}}   ').text;
    expect(out).toBe('Summarize the text.\n\nText: {{text}}');
  });

  it('leaves terse prompts and empty input alone', () => {
    expect(compressPrompt(TERSE)).toMatchObject({ text: TERSE, transforms: [], savingPct: 0 });
    expect(compressPrompt('')).toEqual({ text: '', level: 'conservative', transforms: [], savings: [], tokensBefore: 0, tokensAfter: 0, savingPct: 0 });
  });
});

describe('template logic is never edited (regression, found in review)', () => {
  it('keeps Jinja/Nunjucks tags and comments byte-identical and leaves no double period', () => {
    const template = 'Hello {% if please %}x{% endif %}{# please keep #}. Please be brief. Answer in 5. Please.';
    const out = compressPrompt(template).text;
    expect(out).toContain('{% if please %}');
    expect(out).toContain('{% endif %}');
    expect(out).toContain('{# please keep #}');
    expect(out).not.toMatch(/[^.]\.\.(?!\.)/);
    expect(compressPrompt(out).text).toBe(out);
  });
});
