// The forgotten-password page: the captcha, the SMS button (purpose "reset_password"),
// the new password twice, and a JSON post to /password/reset/. Once the server says
// yes the form gives way to its message: every session of the account has ended.
import { createApp } from "vue";
import { pageData } from "meiduo";
import { jsonForm } from "meiduo/forms";

const root = document.getElementById("reset-app");
const page = root.dataset; // URLs and the server's refusal (templates/users/password_reset.html)

const form = jsonForm({
  fields: ["mobile", "sms_code", "password", "password2"],
  rules: pageData("page-rules"),
  same: { password2: "password" },
  url: page.urlPasswordReset,
  sms: {
    urlSmsCode: page.urlSmsCode,
    urlImageCode: page.urlImageCode,
    imageCodeId: page.imageCodeId,
    purpose: "reset_password",
  },
  initial: { mobile: page.mobile || "" },
  done(body) {
    this.notice = body.message;
  },
});

createApp({
  ...form,
  data() {
    const data = form.data.call(this);
    if (page.errmsg) {
      if (page.field in data.errors) data.errors[page.field] = page.errmsg;
      else data.topError = page.errmsg;
    }
    return data;
  },
}).mount(root);
