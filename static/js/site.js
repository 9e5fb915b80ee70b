// Small progressive enhancements for our pages; everything also works without JavaScript.
// A static file because the Content Security Policy allows no inline handlers.
document.addEventListener("change", (event) => {
  // Browse by day: picking a date opens that day's papers (the form's button does it without JS).
  const input = event.target;
  if (input instanceof HTMLInputElement && input.id === "day-pick" && input.value) {
    input.form.submit();
  }
});
document.addEventListener("focusin", (event) => {
  // The personal feed URL is selected on focus, ready to copy.
  const input = event.target;
  if (input instanceof HTMLInputElement && input.id === "feed-url") {
    input.select();
  }
});
