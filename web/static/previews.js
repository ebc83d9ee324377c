// The approval queue: a letter's preview is fetched the first time its "show" is opened, so a
// page of 30 waiting letters loads one PDF, not 30 (the first preview comes open with the page).
document.addEventListener("toggle", (event) => {
  const details = event.target;
  if (!details.matches || !details.matches("details.letter-preview-toggle") || !details.open) {
    return;
  }
  const frame = details.querySelector("iframe[data-src]");
  if (frame && !frame.getAttribute("src")) {
    frame.setAttribute("src", frame.dataset.src);
  }
}, true);
