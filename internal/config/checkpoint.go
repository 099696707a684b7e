package config

import (
	"fmt"

	"github.com/google/go-github/v62/github"

	"github.com/hook-redeliver/hook-redeliver/checkpoint"
	"github.com/hook-redeliver/hook-redeliver/redeliver"
)

// UseCheckpointFile keeps the checkpoints in a local file (one per hook, see
// checkpoint.PerHook) instead of repository variables, so no checkpoint
// repository is needed: the command line's --checkpoint-file. Call it
// before Validate.
func (c *Config) UseCheckpointFile(path string) { c.checkpointFile = path }

// CheckpointFile is the file set by UseCheckpointFile, or "".
func (c *Config) CheckpointFile() string { return c.checkpointFile }

// CheckpointRepo is the repository holding the checkpoint variables.
func (c *Config) CheckpointRepo() (owner, repo string) { return c.cpOwner, c.cpRepo }

// VariableFor returns the checkpoint variable of one target: the name the
// user gave, or the name derived from the target.
func (c *Config) VariableFor(t redeliver.Target) string {
	if c.CheckpointVariable != "" {
		return checkpoint.PerHook(c.CheckpointVariable, c.target.Hooks.Several(), t.HookID)
	}
	return t.CheckpointName(c.AppID)
}

// StoreFor returns the checkpoint store of one target: the command line's
// file, or a repository variable read and written with client.
func (c *Config) StoreFor(t redeliver.Target, client *github.Client) checkpoint.Store {
	if c.checkpointFile != "" {
		return checkpoint.NewFile(checkpoint.PerHook(c.checkpointFile, c.target.Hooks.Several(), t.HookID))
	}
	return StoreAt(client, c.PlaceFor(t), c.VariableFor(t))
}

// CheckpointPlace says where the checkpoints are kept, for the command
// line's first log line.
func (c *Config) CheckpointPlace() string {
	switch {
	case c.checkpointFile != "":
		return c.checkpointFile
	case c.leg != nil:
		return "where the leg says"
	case c.orgStore:
		return "a variable per webhook in its organization"
	case !c.target.Hooks.All && len(c.target.Hooks.IDs) == 1:
		return fmt.Sprintf("variable %s in %s/%s", c.VariableFor(c.target.For(c.target.Hooks.IDs[0])), c.cpOwner, c.cpRepo)
	}
	return fmt.Sprintf("a variable per webhook in %s/%s", c.cpOwner, c.cpRepo)
}

// StoreAt is the store of variable name at place: a repository's variable or
// an organization's.
func StoreAt(client *github.Client, place checkpoint.Place, name string) checkpoint.Store {
	if place.Org != "" {
		return checkpoint.NewOrgVariable(client, place.Org, name)
	}
	return checkpoint.NewVariable(client, place.Owner, place.Repo, name)
}
