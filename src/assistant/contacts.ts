// The Contact API. The vendor page names it without detail, so everything here is our assumption
// (ASSISTANT-API.md, "Not documented"): GET /contacts?externalId=, POST /contacts (any 2xx, 409
// CONTACT_EXISTS), PATCH /contacts/{id} (404 CONTACT_NOT_FOUND). A vendor change is an edit here.
import type { StatusCodes } from "./envelope.js";
import { malformed } from "./envelope.js";
import type { HttpRequest } from "./http.js";
import type { Contact, ContactInput } from "./types.js";

export const CONTACT_STATUSES: StatusCodes = { 404: "CONTACT_NOT_FOUND", 409: "CONTACT_EXISTS" };

export function findContactRequest(externalId: string): HttpRequest {
  return { method: "GET", path: `/contacts?externalId=${encodeURIComponent(externalId)}` };
}

export function createContactRequest(input: ContactInput): HttpRequest {
  return { method: "POST", path: "/contacts", body: input };
}

export function updateContactRequest(contactId: string, changes: Partial<ContactInput>): HttpRequest {
  return { method: "PATCH", path: `/contacts/${encodeURIComponent(contactId)}`, body: changes };
}

export function readFoundContact(data: unknown, where: string, externalId: string): Contact | undefined {
  const contacts = (data as { contacts?: unknown } | null)?.contacts;
  if (!Array.isArray(contacts)) throw malformed(where, "data.contacts");
  const match = contacts.find((c) => isContact(c) && c.externalId === externalId);
  return match as Contact | undefined;
}

export function readContact(data: unknown, where: string): Contact {
  const contact = (data as { contact?: unknown } | null)?.contact;
  if (!isContact(contact)) throw malformed(where, "data.contact");
  return contact;
}

function isContact(value: unknown): value is Contact {
  const c = value as Partial<Contact> | null;
  return typeof c?.id === "string" && typeof c.externalId === "string";
}
