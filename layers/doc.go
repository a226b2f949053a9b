// Package layers holds the executable form of baktainer's layering rule: its
// test lists every package of the module, from the bottom layer up, and fails
// when a package imports one of its own layer or above, or when a package is in
// no layer. docs/ARCHITECTURE.md mirrors the table (a test checks it does).
package layers
