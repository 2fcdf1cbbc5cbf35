/**
 * The fleet page in real headless Chromium against a synthetic state served on loopback:
 * sign-in, the tree and table, live updates without reload, RBAC filtering, keyboard
 * navigation and text contrast. (tests/e2e/fleet_view_test.ts does the same on the
 * sandbox's real cells.)
 */
import assert from "node:assert/strict";
import { Browser, KEYS } from "../_browser/cdp.ts";
import { entry } from "../fleet/_fixtures.ts";
import { GOOD_TOKEN, NARROW_TOKEN, sampleFleet, servePage } from "../fleet/_page_server.ts";
import { CONTRAST_CHECK, signIn } from "../fleet/_page_checks.ts";

Deno.test("fleet page in Chromium: sign-in, tree, live update, keyboard, contrast", async (t) => {
  const fleet = sampleFleet(40);
  const server = servePage(fleet);
  const browser = await Browser.launch();
  try {
    await t.step("without a token the page asks for one and shows nothing", async () => {
      await browser.goto(`${server.url}/fleet/`);
      await browser.waitFor("!document.getElementById('login').hidden");
      assert.equal(await browser.eval("document.getElementById('fleet').hidden"), true);
      assert.equal(await browser.eval("document.querySelectorAll('[role=treeitem]').length"), 0);
      const res = await fetch(`${server.url}/fleet/api/state`);
      assert.equal(res.status, 401);
      await res.body?.cancel();
    });

    await t.step("a wrong token is refused with the cell's message", async () => {
      await signIn(browser, "not-a-token");
      const error = await browser.waitFor<string>(
        "document.getElementById('login-error').textContent",
      );
      assert.match(error, /not valid/);
    });

    await t.step("with a token: the tree of the hierarchy and the table", async () => {
      await signIn(browser, GOOD_TOKEN);
      await browser.waitFor("document.body.dataset.ready === '1'");
      const tree = await browser.eval<string[][]>(
        "[...document.querySelectorAll('[role=treeitem]')].slice(0, 3).map(li => [li.dataset.name, li.getAttribute('aria-level')])",
      );
      assert.deepEqual(tree, [["bootstrap", "1"], ["mgmt", "2"], ["leaf-00000", "3"]]);
      const rows = await browser.eval<number>("document.querySelectorAll('#rows tr').length");
      assert.equal(rows, 43);
    });

    await t.step("a change shows without reload", async () => {
      await browser.eval("window.__marker = 'same page'");
      fleet.mgmt.setLocalChild("workload", {
        summary: entry("workload", "mgmt", { phase: "Failed", agentConnected: true }),
        pivoted: true,
      });
      fleet.link.flush();
      await browser.waitFor(
        "document.querySelector('[role=treeitem][data-name=workload] .phase').textContent.includes('Failed')",
        10_000,
      );
      assert.equal(await browser.eval("window.__marker"), "same page");
      // It came as a delta on the open stream, not with a new snapshot.
      assert.ok(await browser.eval<number>("window.__fleet.appliedAt['workload/Failed']"));
    });

    await t.step("filters narrow the table", async () => {
      await browser.eval(
        "{ const s = document.getElementById('f-phase'); s.value = 'Failed'; s.dispatchEvent(new Event('change')) }",
      );
      await browser.waitFor("document.querySelectorAll('#rows tr').length === 1");
      assert.equal(
        await browser.eval("document.querySelector('#rows tr').dataset.name"),
        "workload",
      );
      await browser.eval(
        "{ const s = document.getElementById('f-phase'); s.value = ''; s.dispatchEvent(new Event('change'));" +
          "const l = document.getElementById('f-label'); l.value = 'env=staging'; l.dispatchEvent(new Event('input')) }",
      );
      await browser.waitFor("document.querySelectorAll('#rows tr').length === 8");
      await browser.eval(
        "{ const l = document.getElementById('f-label'); l.value = ''; l.dispatchEvent(new Event('input')) }",
      );
    });

    await t.step("keyboard: arrows move through the tree, Enter shows the detail", async () => {
      await browser.eval("document.querySelector('[role=treeitem]').focus()");
      await browser.key("ArrowDown", "ArrowDown", KEYS.ArrowDown);
      assert.equal(await browser.eval("document.activeElement.dataset.name"), "mgmt");
      await browser.key("Enter", "Enter", KEYS.Enter, "\r");
      await browser.waitFor("document.getElementById('detail-title').textContent === 'mgmt'");
      await browser.waitFor("document.getElementById('kubeconfig')");
      await browser.waitFor(
        "document.getElementById('detail-body').innerText.includes('AgentConnected')",
      );
      const detail = await browser.eval<string>("document.getElementById('detail-body').innerText");
      assert.match(detail, /AgentConnected\s+True\s+Connected/);
      assert.match(detail, /Phase Pivoting → Ready/);
      assert.match(detail, /2\.6\.4, healthy/);
      await Deno.mkdir("tests/artifacts", { recursive: true });
      await browser.screenshot("tests/artifacts/fleet_page_synthetic.png");
      await browser.key("ArrowLeft", "ArrowLeft", KEYS.ArrowLeft);
      assert.equal(
        await browser.eval(
          "document.querySelector('[data-name=mgmt]').getAttribute('aria-expanded')",
        ),
        "false",
      );
      await browser.key("ArrowRight", "ArrowRight", KEYS.ArrowRight);
      assert.equal(
        await browser.eval(
          "document.querySelector('[data-name=mgmt]').getAttribute('aria-expanded')",
        ),
        "true",
      );
    });

    await t.step("text contrast is at least 4.5:1 everywhere", async () => {
      const worst = await browser.eval<{ ratio: number; text: string }>(CONTRAST_CHECK);
      assert.ok(worst.ratio >= 4.5, `contrast ${worst.ratio.toFixed(2)} for "${worst.text}"`);
    });

    await t.step("a narrow token sees only what RBAC allows", async () => {
      await browser.eval("document.getElementById('logout').click()");
      await signIn(browser, NARROW_TOKEN);
      await browser.waitFor("document.querySelectorAll('#rows tr').length === 2");
      const names = await browser.eval<string[]>(
        "[...document.querySelectorAll('#rows tr')].map(tr => tr.dataset.name)",
      );
      assert.deepEqual(names, ["mgmt", "workload"]);
      await browser.eval("document.getElementById('logout').click()");
    });
  } finally {
    await browser.close();
    await server.close();
  }
});
