// Package input names the action's inputs and reports what is wrong with
// them. It sits below the packages that read inputs (config, target) so that
// every one of them reports bad input with the same error, which the front
// ends turn into a message naming the input, flag or variable at fault.
package input

import (
	"fmt"
	"strings"
)

// Error is bad input, found before anything is sent to GitHub: the inputs at
// fault and what is wrong with them. The action names an input as action.yml
// does ("input hook-id: ..."); the command line names the flag or variable
// that set it. Either way the binary exits 2.
type Error struct {
	// Inputs are named as action.yml names inputs ("hook-id"), the command
	// line's own settings likewise ("token-file", "repo-owner"); two when
	// they conflict.
	Inputs  []string
	Problem string // what is wrong and how to fix it; a value in it is rendered by Value, never shown if secret
}

func (e *Error) Error() string {
	return "input " + strings.Join(e.Inputs, " and ") + ": " + e.Problem
}

// Bad is an Error about one input.
func Bad(input, format string, args ...any) *Error {
	return &Error{Inputs: []string{input}, Problem: fmt.Sprintf(format, args...)}
}

// Note is something read from an input that the log should say: the action
// prints "hook-id: text", the command line names the flag or variable
// instead.
type Note struct{ Input, Text string }

// Name is the input's name for an env key: app-id for APP_ID.
func Name(key string) string { return strings.ToLower(strings.ReplaceAll(key, "_", "-")) }

// Key is the env key for an input's name: APP_ID for app-id.
func Key(input string) string { return strings.ToUpper(strings.ReplaceAll(input, "-", "_")) }
