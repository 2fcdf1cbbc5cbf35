/** Page checks shared by the browser tests. */
import type { Browser } from "../_browser/cdp.ts";

/** Types `token` into the sign-in form and submits it. */
export async function signIn(browser: Browser, token: string): Promise<void> {
  await browser.waitFor("!document.getElementById('login').hidden");
  await browser.eval(
    `document.getElementById('token').value = ${JSON.stringify(token)};` +
      "document.getElementById('login-form').requestSubmit()",
  );
}

/**
 * In the page: the lowest contrast ratio (WCAG) between the text colour of any visible
 * element with text and its effective background.
 */
export const CONTRAST_CHECK = String.raw`(() => {
  const parse = (c) => { const m = c.match(/[\d.]+/g).map(Number); return { r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1 }; };
  const lum = ({ r, g, b }) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const bg = (el) => { for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor); if (c.a > 0.5) return c; } return { r: 255, g: 255, b: 255, a: 1 }; };
  let worst = { ratio: 99, text: "" };
  for (const el of document.querySelectorAll("body *")) {
    if (!el.offsetParent && getComputedStyle(el).position !== "fixed") continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const fg = parse(getComputedStyle(el).color), b = bg(el);
    const l1 = lum(fg), l2 = lum(b);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    if (ratio < worst.ratio) worst = { ratio, text: el.textContent.trim().slice(0, 40) };
  }
  return worst;
})()`;
