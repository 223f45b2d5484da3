// Package config reads qunguan.toml: defaults, then the file, then command-line flags (the
// caller applies those). Every problem is reported with the file, the line, the key and what
// was expected, wrapped in ErrInvalid, so a person can fix the file without guessing.
//
//	cfg, err := config.Load("qunguan.toml")
//	if errors.Is(err, config.ErrInvalid) { … }
//
// qunguan.example.toml at the repository root documents every key and its default.
package config
