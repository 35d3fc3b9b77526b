// The add-in's function file: the ribbon buttons open the task pane; nothing runs here.
if (window.Office) Office.onReady(() => {});
