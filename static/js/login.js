// The login page posts as a plain form (the server handles `next` and renders its
// refusal into the page); Vue only checks, by Django's rules, that both fields are
// filled before it goes.
import { createApp } from "vue";
import { pageData, ruleChecker } from "meiduo";

const errorOf = ruleChecker(pageData("page-rules"));
const root = document.getElementById("login-app");

createApp({
  delimiters: ["[[", "]]"],
  data: () => ({
    username: root.dataset.username || "",
    password: "",
    remembered: false,
    errors: { username: "", password: "" },
  }),
  // A field's error goes as soon as what is typed passes: gone on blur instead, its line
  // would vanish on the mousedown of the click on the login button and move it.
  watch: {
    username() {
      if (this.errors.username && !errorOf("username", this.username)) this.errors.username = "";
    },
    password() {
      if (this.errors.password && !errorOf("password", this.password)) this.errors.password = "";
    },
  },
  methods: {
    check(field) {
      this.errors[field] = errorOf(field, this[field]);
      return !this.errors[field];
    },
    submit(event) {
      const ok = ["username", "password"].map((field) => this.check(field));
      if (ok.includes(false)) event.preventDefault();
    },
  },
}).mount(root);
