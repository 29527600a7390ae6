package fakeruntime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	defaultFunctionName = "function"
	defaultRegion       = "us-east-1"
	// accountID is moto's account, so function ARNs match the local AWS.
	accountID = "123456789012"
	// stopGracePeriod is how long a stopped function may run its SIGTERM
	// hooks before it is killed.
	stopGracePeriod = 2 * time.Second
	// logTailBytes bounds the output quoted in an exit error.
	logTailBytes = 4096
)

// BuildBootstrap builds the main package in pkgDir as Lambda runs it: a
// static linux binary named bootstrap, built with the Makefile's tags
// (lambda.norpc, grpcnotrace), for the host's architecture so that the
// test can run it. It returns the binary's path inside a new temporary
// directory, which the caller removes (os.RemoveAll(filepath.Dir(path))).
func BuildBootstrap(ctx context.Context, pkgDir string) (string, error) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("find the go tool: %w", err)
	}
	dir, err := os.MkdirTemp("", "fakeruntime-bootstrap-")
	if err != nil {
		return "", fmt.Errorf("create build directory: %w", err)
	}
	path := filepath.Join(dir, "bootstrap")
	cmd := exec.CommandContext(ctx, goTool, "build", "-tags", "lambda.norpc,grpcnotrace", "-trimpath", "-o", path, ".")
	cmd.Dir = pkgDir
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+runtime.GOARCH, "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("build %s: %w\n%s", pkgDir, err, out)
	}
	return path, nil
}

// Process is a function binary running against a Runtime.
type Process struct {
	cancel  context.CancelFunc
	logs    *logFile
	exited  chan struct{}
	waitErr error // set before exited is closed
	stopped atomic.Bool
}

// StartFunction starts the function binary at bootstrapPath against r, with
// the environment Lambda gives a provided.al2023 function (function name,
// memory size, version, region, JSON log format, _HANDLER=bootstrap, and
// AWS_LAMBDA_RUNTIME_API pointing at r) overridden by env. Like Lambda, the
// process does not inherit the test's environment: pass credentials and
// endpoints (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ...) in env.
//
// The process receives SIGTERM when ctx ends or Stop is called, is killed if
// it has not exited after a short grace period, and is killed when the test
// process dies. Only one process runs per runtime at a time.
func (r *Runtime) StartFunction(ctx context.Context, bootstrapPath string, env []string) (*Process, error) {
	path, err := filepath.Abs(bootstrapPath)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", bootstrapPath, err)
	}
	taskRoot := filepath.Dir(path)
	name := lastValue(env, "AWS_LAMBDA_FUNCTION_NAME", defaultFunctionName)
	region := lastValue(env, "AWS_REGION", defaultRegion)

	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case <-r.closed:
		return nil, ErrClosed
	default:
	}
	if r.process != nil && !r.process.hasExited() {
		return nil, errors.New("a function process is already running on this runtime")
	}

	procCtx, cancel := context.WithCancel(ctx)
	cmd := exec.CommandContext(procCtx, path)
	cmd.Dir = taskRoot
	cmd.Env = append(append(lambdaEnv(name, region, taskRoot), env...), "AWS_LAMBDA_RUNTIME_API="+r.Addr())
	logs, err := newLogFile()
	if err != nil {
		cancel()
		return nil, err
	}
	p := &Process{cancel: cancel, logs: logs, exited: make(chan struct{})}
	cmd.Stdout = logs.file
	cmd.Stderr = logs.file
	cmd.Cancel = func() error {
		p.stopped.Store(true)
		return cmd.Process.Signal(syscall.SIGTERM)
	}
	cmd.WaitDelay = stopGracePeriod
	setParentDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		cancel()
		logs.close()
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	go func() {
		p.waitErr = cmd.Wait()
		cancel()
		logs.close()
		close(p.exited)
	}()

	r.process = p
	r.functionARN = functionARN(region, name)
	if r.initErr != nil {
		r.initErr = nil
		r.initFailed = make(chan struct{})
	}
	return p, nil
}

// Stop sends SIGTERM, kills the process if it has not exited after a short
// grace period, and waits for it. It is safe to call more than once.
func (p *Process) Stop() {
	p.stopped.Store(true)
	p.cancel()
	<-p.exited
}

// Exited is closed when the process has exited.
func (p *Process) Exited() <-chan struct{} {
	return p.exited
}

// Logs returns everything the function wrote to stdout and stderr so far,
// which is what Lambda sends to CloudWatch Logs.
func (p *Process) Logs() string {
	return p.logs.String()
}

func (p *Process) hasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// exitError explains an exit, quoting the end of the function's output,
// where aws-lambda-go logs why it stopped. Call it only after Exited.
func (p *Process) exitError() error {
	if p.stopped.Load() {
		return errors.New("function process was stopped")
	}
	logs := p.Logs()
	if len(logs) > logTailBytes {
		logs = "..." + logs[len(logs)-logTailBytes:]
	}
	return fmt.Errorf("function process exited (%v); its output ends with:\n%s", p.waitErr, logs)
}

// lambdaEnv is the environment Lambda sets for a function on an OS-only
// runtime, minus credentials.
func lambdaEnv(name, region, taskRoot string) []string {
	return []string{
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"LANG=en_US.UTF-8",
		"TZ=:UTC",
		"LAMBDA_TASK_ROOT=" + taskRoot,
		"_HANDLER=bootstrap",
		"AWS_REGION=" + region,
		"AWS_DEFAULT_REGION=" + region,
		"AWS_LAMBDA_FUNCTION_NAME=" + name,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
		"AWS_LAMBDA_LOG_FORMAT=JSON",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + name,
		"AWS_LAMBDA_LOG_STREAM_NAME=" + time.Now().UTC().Format("2006/01/02") + "/[$LATEST]" + strings.ReplaceAll(newRequestID(), "-", ""),
		// Traces are unsampled by default; should a test sample one, the
		// X-Ray SDK sends it to a local port rather than failing.
		"AWS_XRAY_DAEMON_ADDRESS=127.0.0.1:2000",
		"AWS_XRAY_CONTEXT_MISSING=LOG_ERROR",
	}
}

func functionARN(region, name string) string {
	return "arn:aws:lambda:" + region + ":" + accountID + ":function:" + name
}

// lastValue returns the value of key in env as exec.Cmd applies it (the last
// occurrence wins), or def.
func lastValue(env []string, key, def string) string {
	value := def
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			value = v
		}
	}
	return value
}

// logFile collects the function's output in an unlinked temporary file.
// The function writes to it directly rather than through a pipe, so a line
// logged before the function answers is readable once Invoke returns.
type logFile struct {
	mu   sync.Mutex
	file *os.File
	// final holds the whole output once the process has exited and the file
	// is closed.
	final *string
}

func newLogFile() (*logFile, error) {
	f, err := os.CreateTemp("", "fakeruntime-logs-")
	if err != nil {
		return nil, fmt.Errorf("create log file: %w", err)
	}
	os.Remove(f.Name()) //nolint:errcheck // the open descriptor keeps the content
	return &logFile{file: f}, nil
}

func (l *logFile) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.final != nil {
		return *l.final
	}
	return l.read()
}

// close keeps the output in memory and releases the file.
func (l *logFile) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.final != nil {
		return
	}
	out := l.read()
	l.final = &out
	l.file.Close()
}

func (l *logFile) read() string {
	info, err := l.file.Stat()
	if err != nil {
		return fmt.Sprintf("(read function output: %v)", err)
	}
	buf := make([]byte, info.Size())
	n, err := l.file.ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Sprintf("(read function output: %v)", err)
	}
	return string(buf[:n])
}
