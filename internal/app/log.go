package app

import (
	"context"
	"log/slog"
)

type logKey struct{}

// WithLog returns a context whose runs log through l instead of App.Log:
// the Lambda handler passes a logger that names the invocation (its
// request and trace IDs), since one App serves every invocation of the
// process, concurrent ones included.
func WithLog(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, logKey{}, l)
}

// logger is the logger of the run ctx belongs to.
func (a *App) logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(logKey{}).(*slog.Logger); ok && l != nil {
		return l
	}
	return a.Log
}
