// Every page: the greeting in the top bar and on the home page, from the username
// cookie (display only; the session decides who is logged in).
import { createApp } from "vue";
import { cookie } from "meiduo";

for (const selector of ["#user-nav", "#home-app"]) {
  if (!document.querySelector(selector)) continue;
  createApp({
    delimiters: ["[[", "]]"], // Django templates own {{ }}
    data: () => ({ username: cookie("username") }),
  }).mount(selector);
}
