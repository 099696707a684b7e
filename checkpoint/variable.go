package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-github/v62/github"

	"github.com/hook-redeliver/hook-redeliver/internal/ghtransport"
)

// Store keeps the state between runs: a repository variable in GitHub
// Actions, or a local file on a server.
type Store interface {
	// Load returns the stored state; found is false on the first run.
	Load(ctx context.Context) (st State, found bool, err error)
	// Save stores st.
	Save(ctx context.Context, st State) error
	// String names the store for logs and the summary.
	String() string
}

// Variable stores the state in an Actions variable of a repository or, for
// many targets, of an organization (see NewOrgVariable).
//
// The ledger lives in a second variable, NAME_STATE, written before the
// checkpoint: a run that dies between the two writes leaves a ledger that
// belongs to another checkpoint, which the next run ignores.
type Variable struct {
	api          variables
	name         string
	exists       bool   // learned by Load: PATCH it rather than POST
	stored       string // the value Load read, if any
	ledgerExists bool
}

// NewVariable returns a store for variable name of owner/repo.
func NewVariable(client *github.Client, owner, repo, name string) *Variable {
	return &Variable{api: repoVariables{client, owner, repo}, name: name}
}

func (v *Variable) String() string {
	return fmt.Sprintf("variable %s in %s", v.name, v.api)
}

// LedgerName is the name of the variable that holds the ledger.
func (v *Variable) LedgerName() string { return v.name + "_STATE" }

// Load reads the variable and its ledger. A missing variable is the first run.
func (v *Variable) Load(ctx context.Context) (State, bool, error) {
	got, resp, err := v.api.get(ctx, v.name)
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusNotFound {
			return State{}, false, nil
		}
		return State{}, false, fmt.Errorf("read checkpoint %s: %w", v, v.api.explain(err, "read"))
	}
	v.exists, v.stored = true, got.Value
	st, err := Parse(got.Value)
	if err != nil {
		return State{}, false, fmt.Errorf("read checkpoint %s: %w; fix or delete the variable (a missing one means a first run, looking back 24h)", v, err)
	}
	if got.UpdatedAt != nil {
		st.SavedAt = got.UpdatedAt.Time
	}
	if !st.marked {
		return st, true, nil
	}
	lg, resp, err := v.api.get(ctx, v.LedgerName())
	switch {
	case err != nil && resp != nil && resp.StatusCode == http.StatusNotFound:
		st.Note = fmt.Sprintf("the ledger variable %s is missing; reading from the checkpoint instead", v.LedgerName())
	case err != nil:
		return State{}, false, fmt.Errorf("read checkpoint ledger %s: %w", v.LedgerName(), v.api.explain(err, "read"))
	default:
		v.ledgerExists = true
		if lg.UpdatedAt != nil && lg.UpdatedAt.After(st.SavedAt) {
			// A run that left the checkpoint as it was wrote only this.
			st.SavedAt = lg.UpdatedAt.Time
		}
		st.Ledger, err = ParseLedger(lg.Value, st.Checkpoint)
		if err != nil {
			st.Note = fmt.Sprintf("the ledger variable %s is unreadable (%v); reading from the checkpoint instead", v.LedgerName(), err)
		} else if st.Ledger == nil {
			st.Note = fmt.Sprintf("the ledger variable %s belongs to another checkpoint; reading from the checkpoint instead", v.LedgerName())
		}
	}
	return st, true, nil
}

// Save writes the ledger, then the checkpoint. An empty ledger is not
// stored: the checkpoint says all of it, and one left from before is deleted.
func (v *Variable) Save(ctx context.Context, st State) error {
	switch {
	case !st.Ledger.Empty():
		exists, err := v.put(ctx, v.LedgerName(), st.Ledger.Encode(st.Checkpoint), v.ledgerExists)
		v.ledgerExists = v.ledgerExists || exists
		if err != nil {
			return err
		}
	case v.ledgerExists:
		resp, err := v.api.delete(ctx, v.LedgerName())
		if err != nil && (resp == nil || resp.StatusCode != http.StatusNotFound) {
			return fmt.Errorf("delete checkpoint ledger %s: %w", v.LedgerName(), v.api.explain(err, "write"))
		}
		v.ledgerExists = false
	}
	if value := st.Encode(); value != v.stored {
		exists, err := v.put(ctx, v.name, value, v.exists)
		v.exists = v.exists || exists
		if err != nil {
			return err
		}
		v.stored = value
	}
	return nil
}

// put creates a variable (POST) or updates it (PATCH); it reports whether the
// variable exists afterwards.
func (v *Variable) put(ctx context.Context, name, value string, exists bool) (bool, error) {
	what := fmt.Sprintf("variable %s in %s", name, v.api)
	if !exists {
		resp, err := v.api.create(ctx, name, value)
		if err != nil && resp != nil && resp.StatusCode >= 500 {
			// A POST is not retried below us, but this one is safe to
			// send again: if the first did create it, the second gets 409.
			resp, err = v.api.create(ctx, name, value)
		}
		if err == nil {
			return true, nil
		}
		// 409: it exists after all (created by a concurrent run, or by an
		// earlier attempt whose answer was lost): update it.
		if resp == nil || resp.StatusCode != http.StatusConflict {
			return false, fmt.Errorf("create checkpoint %s: %w", what, v.api.explain(err, "write"))
		}
	}
	if _, err := v.api.update(ctx, name, value); err != nil {
		return true, fmt.Errorf("update checkpoint %s: %w", what, v.api.explain(err, "write"))
	}
	return true, nil
}

// explain turns an API error on a repository's variables into one that
// says which permission is missing.
func explain(err error, access string) error {
	return explainRefusal(err,
		fmt.Sprintf("the token needs the Variables: %s permission (fine-grained token or GitHub App) or the repo scope (classic token)", access),
		fmt.Sprintf("the repository does not exist or the token cannot see it; check checkpoint-repository and that the token can access it with Variables: %s (fine-grained) or the repo scope (classic)", access))
}

// explainRefusal adds to an API error what to do about it: forbidden for a
// 403 (with the permission GitHub says it accepts), notFound for a 404.
func explainRefusal(err error, forbidden, notFound string) error {
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil {
		return err
	}
	switch er.Response.StatusCode {
	case http.StatusUnauthorized:
		return fmt.Errorf("%w: the token is invalid or expired; check the token input", err)
	case http.StatusForbidden:
		return fmt.Errorf("%w: %s%s", err, forbidden, ghtransport.AcceptedPermissions(er.Response))
	case http.StatusNotFound:
		return fmt.Errorf("%w: %s", err, notFound)
	}
	return err
}
