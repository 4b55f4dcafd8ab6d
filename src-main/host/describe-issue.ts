import type { z } from 'zod';
import type { ApiError } from '../api/contract';
import { fieldName } from '../api/field-names';

/**
 * Turns a rejected argument into a sentence a person can act on, naming the field as the screen does ("Batch size
 * must be a whole number.", "Encoder layer 2 filters must be at least 1."), never the schema path.
 *
 * Our schemas carry their own sentences for the common mistakes; zod's defaults cover the rest. Those defaults are
 * replaced at parse time by `wordsForIssue`, which writes a predicate ("must be at most 100000.") for
 * `describeIssue` to put the field's name in front of.
 */

/** zod's default messages as predicates for a field's name; a schema's own sentence takes precedence over these. */
export function wordsForIssue(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is missing.';
      if (issue.expected === 'int') return 'must be a whole number.';
      if (issue.expected === 'number') return 'must be a number.';
      if (issue.expected === 'string') return 'must be text.';
      if (issue.expected === 'boolean') return 'must be yes or no.';
      if (issue.expected === 'array') return 'must be a list.';
      return `must be ${issue.expected === 'object' ? 'a set of settings' : `a ${issue.expected}`}.`;
    case 'too_small':
      if (issue.origin === 'string')
        return Number(issue.minimum) <= 1 ? 'cannot be empty.' : `needs at least ${issue.minimum} characters.`;
      if (issue.origin === 'array')
        return `needs at least ${issue.minimum} ${Number(issue.minimum) === 1 ? 'item' : 'items'}.`;
      return issue.inclusive ? `must be at least ${issue.minimum}.` : `must be greater than ${issue.minimum}.`;
    case 'too_big':
      if (issue.origin === 'string') return `can be at most ${issue.maximum} characters long.`;
      if (issue.origin === 'array') return `can have at most ${issue.maximum} items.`;
      return issue.inclusive ? `can be at most ${issue.maximum}.` : `must be less than ${issue.maximum}.`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}.`;
    case 'unrecognized_keys':
      return `has no setting called ${issue.keys.map((key) => `"${key}"`).join(', ')}.`;
    case 'invalid_union': {
      // A union of literals (`1 | 3`) is a choice: list it.
      const options = issue.errors.flat();
      if (options.length > 0 && options.every((option) => option.code === 'invalid_value'))
        return `must be one of ${options.flatMap((option) => option.values.map((v) => JSON.stringify(v))).join(', ')}.`;
      return 'is not one of the accepted kinds of value.';
    }
    default:
      return 'is not valid.';
  }
}

/** The first problem with an argument, in words, and the field it belongs to (for a form to highlight). */
export function describeIssue(error: z.ZodError): ApiError {
  const issue = error.issues[0];
  if (!issue) return { code: 'invalid_argument', message: 'The request was not valid.' };
  const field = issue.path.length > 0 ? issue.path.map(String).join('.') : undefined;
  const name = fieldName(issue.path);
  // A predicate from wordsForIssue needs the field's name; a schema's own sentence already says what it is about,
  // except inside a layer, where it helps to say which one.
  const predicate = /^[a-z]/.test(issue.message);
  const inLayer = /layer \d+/.test(name ?? '') && !predicate;
  const message = predicate
    ? `${name ?? 'The request'} ${issue.message}`
    : inLayer
      ? `${name!.replace(/^(\w+ layer \d+).*/, '$1')}: ${issue.message.charAt(0).toLowerCase()}${issue.message.slice(1)}`
      : issue.message;
  return { code: 'invalid_argument', message, ...(field ? { field } : {}) };
}
