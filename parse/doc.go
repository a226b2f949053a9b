// Package parse is baktainer's one parser per kind of value: counts, booleans,
// durations, days, sizes and names, each with its limits. The BT_* settings
// (config), the baktainer.* labels (labels) and the plugin's volume options all
// use it, so a value accepted in one place means the same, and is usable,
// everywhere: a backup name that `labels check` accepts is one the store can write.
//
// Every parser trims surrounding white space. Errors say what is wrong and what is
// allowed, never repeat the value: the caller names the setting, label or option,
// and knows whether its value may be shown (a secret's may not).
//
// parse is the bottom layer: it imports nothing of baktainer.
package parse
