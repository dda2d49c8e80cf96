// A form a page sends as JSON, as a Vue options object: each field checked by Django's
// rules when the shopper leaves it, the server's refusal shown beside the field it
// names, and, for a form with an SMS code, the captcha and the SMS button with its
// countdown. Pages import it as "meiduo/forms" (the import map in templates/base.html).
import { BadResponse, fillUrl, getJson, newUuid, ruleChecker, sendJson } from "meiduo";

export const COUNTDOWN = 60; // seconds before another SMS may be asked for

// What the script says of its own (network, failed, smsSent, smsButton, smsWait,
// mismatch, ...) comes with the rules, in the page's language: rules.texts
// (core/forms.py, page_texts). No text is written here.

// A URL Django reversed into a data attribute; "" when the page did not get it.
export function dataUrl(element, name) {
  return element.dataset[name] || "";
}

/**
 * Vue options for one form.
 *   fields:  the names it sends, as the server names them (also its error slots);
 *   rules:   Django's rules for them (pageData("page-rules"));
 *   same:    {password2: "password"}: a field that must repeat another;
 *   url, method: where the form goes;
 *   done(body): called (as a method) when the server answers code 0;
 *   sms:     {urlSmsCode, urlImageCode, imageCodeId, purpose}: adds the captcha
 *            ("image_code") and the SMS button for the "mobile" field;
 *   initial: first values; state: more data for the page's own template;
 *   failed:  what to say when the server answers something that is not JSON.
 */
export function jsonForm({
  fields,
  rules = {},
  same = {},
  url,
  method = "POST",
  done,
  sms,
  initial = {},
  state = {},
  failed,
}) {
  const errorOf = ruleChecker(rules);
  const texts = rules.texts || {};
  const slots = sms ? [...fields, "image_code"] : [...fields];
  const mismatch = rules.messages?.password_mismatch || texts.mismatch;

  // The slot a refusal naming `field` is shown beside; null: above the form.
  function slotFor(field) {
    if (field === "image_code_id") return sms ? "image_code" : null;
    return typeof field === "string" && slots.includes(field) ? field : null;
  }

  // Once a field shows an error, it goes as soon as what is typed passes (locally, no
  // request): gone on blur instead, its line would vanish on the mousedown of the next
  // click and move the button from under the pointer. A new message waits for the blur.
  const watch = Object.fromEntries(
    slots.map((slot) => [
      "values." + slot,
      function () {
        const affected = [slot, ...Object.keys(same).filter((copy) => same[copy] === slot)];
        for (const name of affected) {
          if (this.errors[name] && !this.localError(name)) this.errors[name] = "";
        }
      },
    ]),
  );

  return {
    delimiters: ["[[", "]]"], // Django templates own {{ }}
    data() {
      const values = Object.fromEntries(slots.map((slot) => [slot, ""]));
      return {
        values: { ...values, ...initial },
        errors: Object.fromEntries(slots.map((slot) => [slot, ""])),
        topError: "",
        notice: "", // the server's message once it said yes
        submitting: false,
        imageCodeId: sms ? sms.imageCodeId || newUuid() : "",
        smsBusy: false,
        smsLeft: 0, // seconds left on the countdown; 0 shows the button's own text
        smsHint: "",
        ...state,
      };
    },
    watch,
    computed: {
      imageCodeUrl() {
        return sms ? fillUrl(sms.urlImageCode, { uuid: this.imageCodeId }) : "";
      },
      // The SMS button: its own text, or the seconds left ("%(seconds)s" in smsWait).
      smsButtonText() {
        if (this.smsLeft <= 0) return texts.smsButton;
        return (texts.smsWait || "%(seconds)s").replace("%(seconds)s", this.smsLeft);
      },
    },
    methods: {
      localError(slot) {
        const value = this.values[slot];
        if (same[slot] && value && value !== this.values[same[slot]]) return mismatch;
        return errorOf(slot, value);
      },
      check(slot) {
        this.errors[slot] = this.localError(slot);
        // A repeat already typed is checked again against the changed original.
        for (const copy of Object.keys(same)) {
          if (same[copy] === slot && this.values[copy]) this.errors[copy] = this.localError(copy);
        }
        return !this.errors[slot];
      },
      // The server's refusal beside its field, or above the form.
      refuse(body) {
        const slot = slotFor(body.field);
        if (slot) this.errors[slot] = body.message;
        else this.topError = body.message;
      },
      refreshCaptcha() {
        this.imageCodeId = newUuid();
        this.values.image_code = "";
      },
      async sendSmsCode() {
        if (this.smsBusy) return;
        if (!this.check("mobile") || !this.check("image_code")) return;
        this.smsBusy = true;
        this.smsHint = "";
        const query = new URLSearchParams({
          image_code: this.values.image_code,
          image_code_id: this.imageCodeId,
          purpose: sms.purpose,
        });
        let body;
        try {
          const path = fillUrl(sms.urlSmsCode, { mobile: this.values.mobile });
          body = await getJson(path + "?" + query);
        } catch {
          this.smsBusy = false;
          this.smsHint = texts.network;
          return;
        } finally {
          // The captcha is spent, right or wrong: draw a new one for any next send.
          this.refreshCaptcha();
        }
        if (body.code !== 0) {
          this.smsBusy = false;
          this.errors[slotFor(body.field) || "sms_code"] = body.message;
          return;
        }
        this.errors.mobile = "";
        this.errors.image_code = "";
        this.smsHint = texts.smsSent;
        this.countdown(COUNTDOWN);
      },
      countdown(seconds) {
        this.smsLeft = seconds;
        const timer = setInterval(() => {
          this.smsLeft -= 1;
          if (this.smsLeft <= 0) {
            clearInterval(timer);
            this.smsLeft = 0;
            this.smsBusy = false;
          }
        }, 1000);
      },
      // Checks every field it sends; true when all pass.
      checkAll() {
        return fields.map((slot) => this.check(slot)).every(Boolean);
      },
      async submit() {
        this.topError = "";
        this.notice = "";
        if (this.checkAll()) await this.send();
      },
      // Posts (or puts) the fields; the server's yes goes to done, its no beside a field.
      async send() {
        this.submitting = true;
        let body;
        try {
          const data = Object.fromEntries(fields.map((field) => [field, this.values[field]]));
          body = await sendJson(method, url, data);
        } catch (error) {
          this.topError = error instanceof BadResponse ? failed || texts.failed : texts.network;
          return;
        } finally {
          this.submitting = false;
        }
        if (body.code === 0) done.call(this, body);
        else this.refuse(body);
      },
    },
  };
}
