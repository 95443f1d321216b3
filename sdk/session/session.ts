// A whole app session through the generated client: openapi-fetch over the types openapi-typescript
// made from the live server's /api/schema/. No request or response shape is written by hand here:
// every body, parameter and field below is checked by `tsc --strict` against the generated types.
//
// Run by tests/sdk/test_typescript_session.py with LAMBRIDGE_BASE_URL and LAMBRIDGE_TOKEN (a real
// Cognito ID token from the emulator); prints one line per step and exits non-zero on a failure.
import { randomUUID } from "node:crypto";
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/schema.js";

type Note = components["schemas"]["Note"];

const baseUrl = process.env.LAMBRIDGE_BASE_URL ?? "";
const token = process.env.LAMBRIDGE_TOKEN ?? "";
// The smallest valid PNG (1×1), as tests/uploads/helpers.py has it.
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "base64",
);
const SEARCH_ATTEMPTS = 120;
const SEARCH_PAUSE_MS = 250;

class SessionFailure extends Error {}

function check(condition: unknown, what: string): asserts condition {
  if (!condition) throw new SessionFailure(what);
}

function step(name: string, detail: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ step: name, ...detail }));
}

function etagOf(note: Note): string {
  return `"${note.version}"`;
}

async function main(): Promise<void> {
  check(baseUrl && token, "LAMBRIDGE_BASE_URL and LAMBRIDGE_TOKEN are needed");
  const client = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });

  // Who am I.
  const me = await client.GET("/api/v1/me");
  check(me.response.status === 200 && me.data, `me: ${me.response.status}`);
  step("me", { userId: me.data.userId });

  // Create, with an id chosen offline; the repeat is the same note (200), not a second one.
  const noteId = randomUUID();
  const word = `sdkword${noteId.slice(0, 8)}`;
  const created = await client.POST("/api/v1/notes", {
    body: { noteId, headline: `Typed ${word}`, text: "Written by the generated client", tags: ["sdk"] },
  });
  check(created.response.status === 201 && created.data, `create: ${created.response.status}`);
  check(created.data.noteId === noteId, "create keeps the app's noteId");
  check(created.response.headers.get("ETag") === etagOf(created.data), "create sends the version as ETag");
  check(created.response.headers.get("Location")?.endsWith(noteId), "create sends Location");
  const repeated = await client.POST("/api/v1/notes", {
    body: { noteId, headline: `Typed ${word}`, text: "Written by the generated client", tags: ["sdk"] },
  });
  check(repeated.response.status === 200 && repeated.data?.noteId === noteId, `repeat: ${repeated.response.status}`);
  step("create", { status: created.response.status, repeat: repeated.response.status, version: created.data.version });

  // List with the shared visibility enum as a filter.
  const listed = await client.GET("/api/v1/notes", { params: { query: { visibility: "private", pageSize: 10 } } });
  check(listed.data, `list: ${listed.response.status}`);
  check(listed.data.results.some((note) => note.noteId === noteId), "list shows the note");
  step("list", { count: listed.data.results.length });

  // Conditional GET: the version in If-None-Match → 304.
  const unchanged = await client.GET("/api/v1/notes/{noteId}", {
    params: { path: { noteId }, header: { "If-None-Match": etagOf(created.data) } },
  });
  check(unchanged.response.status === 304, `If-None-Match: ${unchanged.response.status}`);

  // PATCH with If-Match, then a stale one: 412 with its typed error code.
  const patched = await client.PATCH("/api/v1/notes/{noteId}", {
    params: { path: { noteId }, header: { "If-Match": etagOf(created.data) } },
    body: { text: `Changed by the generated client: ${word}` },
  });
  check(patched.response.status === 200 && patched.data, `patch: ${patched.response.status}`);
  check(patched.data.version === created.data.version + 1, "patch moves the version");
  const stale = await client.PATCH("/api/v1/notes/{noteId}", {
    params: { path: { noteId }, header: { "If-Match": etagOf(created.data) } },
    body: { headline: "Lost update" },
  });
  check(stale.response.status === 412 && stale.error, `stale patch: ${stale.response.status}`);
  check(stale.error.error.code === "precondition_failed", `stale code: ${stale.error.error.code}`);
  check(stale.response.headers.get("ETag") === etagOf(patched.data), "412 names the current version");
  step("patch", { version: patched.data.version, stale: stale.response.status, code: stale.error.error.code });

  // Offline sync from the start: the note is there; keep the cursor.
  const changes = await client.GET("/api/v1/notes/changes", {});
  check(changes.data, `changes: ${changes.response.status}`);
  check(changes.data.notes.some((note) => note.noteId === noteId), "changes carry the note");
  let cursor = changes.data.nextCursor;
  step("changes", { notes: changes.data.notes.length });

  // A photo: presigned form, the PNG POSTed straight to S3, then attached by key.
  const presigned = await client.POST("/api/v1/uploads", {
    body: { contentType: "image/png", contentLength: PNG.length, filename: "photo.png" },
  });
  check(presigned.response.status === 201 && presigned.data, `upload: ${presigned.response.status}`);
  const form = new FormData();
  for (const [name, value] of Object.entries(presigned.data.fields)) form.append(name, value);
  form.append("file", new Blob([PNG], { type: "image/png" }), "photo.png");
  const stored = await fetch(presigned.data.url, { method: "POST", body: form });
  check(stored.status >= 200 && stored.status < 300, `S3 POST: ${stored.status}`);
  const attached = await client.PATCH("/api/v1/notes/{noteId}", {
    params: { path: { noteId }, header: { "If-Match": etagOf(patched.data) } },
    body: { photoKey: presigned.data.key },
  });
  check(attached.response.status === 200 && attached.data, `attach: ${attached.response.status}`);
  check(attached.data.photoKey === presigned.data.key && attached.data.s3Url, "the note shows its photo");
  const photo = await fetch(attached.data.s3Url);
  check(photo.status === 200, `photo URL: ${photo.status}`);
  check(Buffer.from(await photo.arrayBuffer()).equals(PNG), "the photo URL serves the uploaded bytes");
  step("photo", { key: presigned.data.key });

  // Search: the note reaches the index through DynamoDB and its stream, a moment later.
  let found = false;
  for (let attempt = 0; attempt < SEARCH_ATTEMPTS && !found; attempt++) {
    const hits = await client.GET("/api/v1/notes/search", { params: { query: { q: word, size: 10 } } });
    check(hits.response.status === 200 && hits.data, `search: ${hits.response.status}`);
    found = hits.data.results.some((note) => note.noteId === noteId);
    if (!found) await new Promise((resolve) => setTimeout(resolve, SEARCH_PAUSE_MS));
  }
  check(found, "search finds the note");
  step("search");

  // Delete, then the changes feed carries the tombstone.
  const deleted = await client.DELETE("/api/v1/notes/{noteId}", {
    params: { path: { noteId }, header: { "If-Match": etagOf(attached.data) } },
  });
  check(deleted.response.status === 204, `delete: ${deleted.response.status}`);
  const gone = await client.GET("/api/v1/notes/{noteId}", { params: { path: { noteId } } });
  check(gone.response.status === 404 && gone.error?.error.code === "not_found", `after delete: ${gone.response.status}`);
  let tombstone = false;
  for (let page = 0; page < 20 && !tombstone; page++) {
    const after = await client.GET("/api/v1/notes/changes", { params: { query: { since: cursor } } });
    check(after.data, `changes after delete: ${after.response.status}`);
    tombstone = after.data.deleted.includes(noteId);
    cursor = after.data.nextCursor;
    if (!after.data.hasMore) break;
  }
  check(tombstone, "changes list the deleted noteId");
  step("delete");
  console.log("session ok");
}

main().catch((error: unknown) => {
  console.error(error instanceof SessionFailure ? `session failed: ${error.message}` : error);
  process.exitCode = 1;
});
