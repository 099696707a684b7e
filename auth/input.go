package auth

// InputError is an app-id or private-key this package cannot use: the input
// at fault and what is wrong with it. It never holds any part of a key.
type InputError struct {
	Input   string // "app-id" or "private-key"
	Problem string
}

func (e *InputError) Error() string { return e.Input + ": " + e.Problem }

func badKey(problem string) *InputError { return &InputError{Input: "private-key", Problem: problem} }
