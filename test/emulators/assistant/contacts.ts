// The emulated Contact API (an assumed shape, see ASSISTANT-API.md): find by externalId, create
// (409 CONTACT_EXISTS on a duplicate externalId) and patch (404 CONTACT_NOT_FOUND on an unknown id).
// Unknown fields and wrongly typed values are refused with 400 INVALID_REQUEST, naming the field.
import { fail, invalid, type Outcome, ok } from "./outcome.js";

export interface Contact {
  id: string;
  externalId: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  source: string;
  attributes: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

type Fields = Partial<Omit<Contact, "id" | "createdAt" | "updatedAt">>;

const NULLABLE_TEXT = ["name", "email", "phone"] as const;
const REQUIRED_TEXT = ["externalId", "source"] as const;
const EMAIL = /^[^\s@]+@[^\s@]+$/;

export class ContactBook {
  private readonly byId = new Map<string, Contact>();
  private count = 0;

  constructor(private readonly now: () => number) {}

  all(): Contact[] {
    return [...this.byId.values()].map((contact) => structuredClone(contact));
  }

  find(externalId: string | null): Outcome {
    if (!externalId) return invalid("query parameter externalId is required");
    const contacts = this.all().filter((contact) => contact.externalId === externalId);
    return ok({ contacts });
  }

  create(body: unknown): Outcome {
    const parsed = parseFields(body);
    if (typeof parsed === "string") return invalid(parsed);
    for (const field of REQUIRED_TEXT) {
      if (parsed[field] === undefined) return invalid(`${field} is required`);
    }
    if (this.withExternalId(parsed.externalId!)) {
      return fail(409, "CONTACT_EXISTS", `a contact with externalId ${parsed.externalId} already exists`);
    }
    const at = new Date(this.now()).toISOString();
    const contact: Contact = {
      id: `ct_${++this.count}`,
      externalId: parsed.externalId!,
      name: parsed.name ?? null,
      email: parsed.email ?? null,
      phone: parsed.phone ?? null,
      source: parsed.source!,
      attributes: parsed.attributes ?? {},
      createdAt: at,
      updatedAt: at,
    };
    this.byId.set(contact.id, contact);
    return ok({ contact: structuredClone(contact) }, 201);
  }

  /** Applies the given fields; `attributes` replaces the whole object. */
  update(id: string, body: unknown): Outcome {
    const contact = this.byId.get(id);
    if (!contact) return fail(404, "CONTACT_NOT_FOUND", `no contact with id ${id}`);
    const parsed = parseFields(body);
    if (typeof parsed === "string") return invalid(parsed);
    const clash = parsed.externalId === undefined ? undefined : this.withExternalId(parsed.externalId);
    if (clash && clash.id !== id) {
      return fail(409, "CONTACT_EXISTS", `a contact with externalId ${parsed.externalId} already exists`);
    }
    Object.assign(contact, parsed, { updatedAt: new Date(this.now()).toISOString() });
    return ok({ contact: structuredClone(contact) });
  }

  private withExternalId(externalId: string): Contact | undefined {
    return [...this.byId.values()].find((contact) => contact.externalId === externalId);
  }
}

/** The contact fields in a request body, or a message saying what is wrong with it. */
function parseFields(body: unknown): Fields | string {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return "body must be a JSON object";
  const fields: Fields = {};
  for (const [key, value] of Object.entries(body)) {
    if ((REQUIRED_TEXT as readonly string[]).includes(key)) {
      if (typeof value !== "string" || value.trim() === "") return `${key} must be a non-empty string`;
      fields[key as (typeof REQUIRED_TEXT)[number]] = value;
    } else if ((NULLABLE_TEXT as readonly string[]).includes(key)) {
      if (value !== null && typeof value !== "string") return `${key} must be a string or null`;
      if (key === "email" && typeof value === "string" && !EMAIL.test(value)) return "email is not valid";
      fields[key as (typeof NULLABLE_TEXT)[number]] = value;
    } else if (key === "attributes") {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        return "attributes must be a JSON object";
      }
      fields.attributes = value as Record<string, unknown>;
    } else {
      return `unknown field ${key}`;
    }
  }
  return fields;
}
