// The valibot building blocks settings are read with, shared by the core and the platform modules'
// own (adapters/<platform>/config.ts): environment variables are text, YAML values are whatever the
// file holds.
import * as v from "valibot";

/** A variable that may be unset or blank (both mean "not set"). */
export const optionalText = v.optional(
  v.pipe(
    v.string(),
    v.trim(),
    v.transform((text) => (text === "" ? undefined : text)),
  ),
);

/** An http(s) URL; `what` says which one in the error. */
export const url = (what: string) =>
  v.pipe(
    v.string(),
    v.trim(),
    v.check((text) => /^https?:\/\//.test(text), `must be an http(s) URL (${what})`),
  );

export const intInRange = (min: number, max: number) =>
  v.pipe(
    v.string(),
    v.trim(),
    v.regex(/^\d+$/, "must be a whole number"),
    v.transform(Number),
    v.check((n) => n >= min && n <= max, `must be between ${min} and ${max}`),
  );

/** One of a few words; the error lists them. */
export const oneOf = <const Options extends readonly [string, ...string[]]>(options: Options) =>
  v.picklist(options, `must be one of ${options.join(", ")}`);

/**
 * An id in the YAML file, which an unquoted number-looking id reaches as a number. One past 2^53 (a
 * Discord snowflake) has already lost digits, so it is refused rather than matched wrongly.
 */
export const idText = v.pipe(
  v.union([v.string(), v.number()], "must be an id"),
  v.check(
    (id) => typeof id === "string" || Number.isSafeInteger(id),
    "is a number too long to read exactly: put it in quotes",
  ),
  v.transform(String),
);

/** A YAML section: a map whose keys are all known, and each unknown one is named in the error. */
export const section = <const Entries extends v.ObjectEntries>(entries: Entries) =>
  v.strictObject(entries, (issue) => {
    if (issue.expected === "never") return "is not a known key";
    if (issue.expected === "Object") return "must be a section of keys";
    return "is required";
  });
