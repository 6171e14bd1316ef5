// The portal's only script (the Content-Security-Policy allows no inline script): long work streams its progress
// from the server (server-sent events) into the page, then opens the result.
document.querySelectorAll("[data-progress-source]").forEach((panel) => {
  const bar = panel.querySelector("progress");
  const text = panel.querySelector("[data-progress-text]");
  const source = new EventSource(panel.dataset.progressSource);
  source.addEventListener("progress", (event) => {
    const progress = JSON.parse(event.data);
    if (progress.total) {
      bar.max = progress.total;
      bar.value = progress.done;
    }
    text.textContent = progress.text;
  });
  source.addEventListener("done", (event) => {
    source.close();
    window.location.assign(JSON.parse(event.data).url);
  });
});
