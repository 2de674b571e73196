// browser.mjs - /docs in a real browser: headless Debian chromium driven by
// playwright-core opens the page, authorizes once (bearer key and
// X-Namespace), runs "Try it out" on a GET and a PATCH of a document and
// checks what the page shows; no JavaScript error in the console, nothing
// fetched from anywhere but the server under test. Keeps a screenshot.
//
//   node browser.mjs BASE_URL KEY NAMESPACE COLLECTION DOCUMENT_ID SCREENSHOT
//
// Environment: CHROMIUM (default /usr/bin/chromium).
// Prints "ok - ..." / "not ok - ..." lines (counted by run.sh); exit
// status 1 when one failed.
import { chromium } from "playwright-core";

const [base, key, namespace, collection, docId, shot] = process.argv.slice(2);
if (!shot) {
  console.error("usage: node browser.mjs BASE_URL KEY NAMESPACE COLLECTION DOCUMENT_ID SCREENSHOT");
  process.exit(2);
}
const origin = new URL(base).origin;
const TIMEOUT = 15000;
let failed = 0;
function report(ok, what, detail) {
  console.log(`${ok ? "ok" : "not ok"} - ${what}${ok || !detail ? "" : "\n    " + detail}`);
  if (!ok) failed++;
  return ok;
}
async function step(what, fn) {
  try {
    const detail = await fn();
    return report(true, what + (detail ? ` (${detail})` : ""));
  } catch (e) {
    return report(false, what, String(e && e.message || e).split("\n").slice(0, 6).join("\n    "));
  }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  // As root in a sandbox, and on a machine with no network but loopback:
  // nothing of Chromium's own (updates, sync, safe browsing) may try.
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage"],
});
const consoleErrors = [];
const foreign = [];
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  // The API's own 4xx answers (what "Try it out" is for) are logged by
  // Chromium as "Failed to load resource"; every other error counts.
  page.on("console", (m) => {
    if (m.type() !== "error" && m.type() !== "warning") return;
    if (/^Failed to load resource/.test(m.text()) && (m.location().url || "").startsWith(origin + "/v1/")) return;
    consoleErrors.push(`${m.type()}: ${m.text()} (${m.location().url || "?"})`);
  });
  page.on("pageerror", (e) => consoleErrors.push("uncaught: " + e.message));
  page.on("request", (r) => {
    const u = r.url();
    if (!u.startsWith(origin + "/") && !u.startsWith("data:") && !u.startsWith("blob:")) foreign.push(u);
  });

  const loaded = await step("GET /docs shows the API reference rendered from /v1/openapi.json", async () => {
    const resp = await page.goto(base + "/docs", { waitUntil: "load" });
    if (!resp || resp.status() !== 200) throw new Error(`status ${resp && resp.status()}`);
    if (!page.url().endsWith("/docs/")) throw new Error(`landed on ${page.url()}, not .../docs/`);
    await page.locator(".information-container .title").filter({ hasText: "docapi" }).waitFor();
    const ops = await page.locator(".opblock").count();
    if (ops < 5) throw new Error(`${ops} operations shown, expected 5`);
    return `${ops} operations`;
  });

  if (loaded) {
    await step("Authorize once: bearer key and X-Namespace", async () => {
      await page.locator(".auth-wrapper button.authorize").click();
      const modal = page.locator(".modal-ux");
      await modal.waitFor();
      // one form per scheme; "Authorize" turns into "Logout" once applied
      for (const [scheme, value] of [["bearerAuth", key], ["namespace", namespace]]) {
        const form = modal.locator(".auth-container").filter({ has: page.locator(`h4 code:text-is("${scheme}")`) });
        await form.locator("input").fill(value);
        await form.getByRole("button", { name: "Apply credentials" }).click();
        await form.locator("button", { hasText: "Logout" }).waitFor();
      }
      await modal.locator("button.close-modal").click();
      await modal.waitFor({ state: "detached" });
    });

    // "Try it out" on one operation: fill the path, maybe a body, Execute;
    // returns the status, the body shown and the curl line shown.
    async function tryItOut(opId, body) {
      const op = page.locator(`#operations-Collection_Documents-${opId}`);
      await op.locator(".opblock-summary").first().click();
      await op.locator("button.try-out__btn").click();
      await op.locator('tr[data-param-name="collection_identifier"] input').fill(collection);
      await op.locator('tr[data-param-name="document_id"] input').fill(docId);
      if (body !== undefined)
        await op.locator("textarea.body-param__text").fill(JSON.stringify(body, null, 2));
      await op.locator("button.execute").click();
      const status = op.locator(".live-responses-table .response .response-col_status").first();
      await status.waitFor();
      const text = (await status.innerText()).trim();
      const shown = await op.locator(".live-responses-table .response-col_description .microlight").first().innerText();
      const curl = await op.locator(".curl-command").first().innerText();
      return { op, status: text, shown, curl };
    }

    await step(`Try it out: GET ${collection}/${docId} answers 200 with the document`, async () => {
      const r = await tryItOut("get_document");
      if (!r.status.startsWith("200")) throw new Error(`status shown: ${r.status}\n${r.shown.slice(0, 300)}`);
      const d = JSON.parse(r.shown);
      if (d.document_id !== docId) throw new Error(`document_id shown: ${d.document_id}`);
      if (!/Authorization: Bearer /.test(r.curl) || !r.curl.includes(`X-Namespace: ${namespace}`))
        throw new Error(`the request did not carry the key and the namespace: ${r.curl}`);
      // the operation's bar at the top, its answer below it
      await page.setViewportSize({ width: 1280, height: 1500 });
      await r.op.locator(".opblock-summary").first().evaluate((el) => el.scrollIntoView({ block: "start" }));
      await page.screenshot({ path: shot });
      await page.setViewportSize({ width: 1280, height: 1000 });
      return `document_id ${d.document_id}, screenshot ${shot}`;
    });

    const title = "Set from /docs " + Date.now();
    await step("Try it out: PATCH with a merge patch answers 200 with the new metadata", async () => {
      const r = await tryItOut("patch_document", { metadata: { title, reviewed: true } });
      if (!r.status.startsWith("200")) throw new Error(`status shown: ${r.status}\n${r.shown.slice(0, 300)}`);
      const d = JSON.parse(r.shown);
      if (d.metadata?.title !== title || d.metadata?.reviewed !== true)
        throw new Error(`metadata shown: ${JSON.stringify(d.metadata)}`);
      return `metadata.title "${title}"`;
    });

    await step("the authorization persists across a reload (persistAuthorization)", async () => {
      await page.reload({ waitUntil: "load" });
      await page.locator(".information-container .title").waitFor();
      const saved = JSON.parse(await page.evaluate(() => localStorage.getItem("authorized")) || "{}");
      if (!saved.bearerAuth || !saved.namespace) throw new Error(`saved: ${Object.keys(saved)}`);
      await page.locator(".auth-wrapper button.authorize.locked").waitFor();
    });
  }
  report(consoleErrors.length === 0, "no error or warning in the browser console", consoleErrors.join("\n    "));
  report(foreign.length === 0, `nothing fetched from outside ${origin} (no CDN)`, foreign.join("\n    "));
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
