package shell

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gocql/gocql"

	"github.com/sibyldb/sibyl/cql/parser"
)

// Version is the shell's own version, shown by SHOW VERSION.
const Version = "1.0.0"

// ErrStatementsFailed is returned by RunScript and Run when at least one
// statement printed an error; the shell itself went on.
var ErrStatementsFailed = errors.New("shell: some statements failed")

// errExit is how EXIT and QUIT end a run.
var errExit = errors.New("shell: exit")

// Config says where to connect and how to talk. Zero values mean default.
type Config struct {
	Host     string // default 127.0.0.1
	Port     int    // default 9042
	Username string // with Password: SASL PLAIN through gocql's PasswordAuthenticator
	Password string
	Keyspace string // the keyspace to USE at start
	// SSL connects over TLS (cqlsh's --ssl), verifying the node's
	// certificate and address against TLSCA (the system's roots when
	// empty) unless TLSNoVerify; TLSCert and TLSKey are a client
	// certificate for nodes that require one. Any TLS* field implies SSL.
	SSL         bool
	TLSCA       string
	TLSCert     string
	TLSKey      string
	TLSNoVerify bool
	// ConnectTimeout bounds connecting (default 10 s, as cqlsh's
	// --connect-timeout); RequestTimeout bounds each request (default
	// 10 s, cqlsh's --request-timeout).
	ConnectTimeout time.Duration
	RequestTimeout time.Duration
	// Out receives results and messages; Err receives errors (default:
	// Out), as cqlsh writes errors to stderr.
	Out io.Writer
	Err io.Writer
}

func (c *Config) ensureDefaults() {
	if c.Host == "" {
		c.Host = "127.0.0.1"
	}
	if c.Port == 0 {
		c.Port = 9042 // the native protocol's registered port
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = 10 * time.Second
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 10 * time.Second
	}
	if c.Out == nil {
		c.Out = io.Discard
	}
	if c.Err == nil {
		c.Err = c.Out
	}
}

// Shell is one cqlsh-style session on a gocql connection. It is not safe
// for concurrent use: one goroutine feeds it lines.
type Shell struct {
	cfg     Config
	session *gocql.Session
	// keyspace is the keyspace of the session, "" for none.
	keyspace string

	consistency gocql.Consistency
	serial      gocql.SerialConsistency
	expand      bool
	paging      bool
	pageSize    int
	// tracing sends CQL with the tracing flag (TRACING ON); traces
	// collects the session ids of the statement running (tracing.go).
	tracing bool
	traces  *traceCapture
	// in supplies lines to ---MORE--- prompts, when pause is set (Run on
	// a user's input, not RunScript or RunReader on a script).
	in    LineReader
	pause bool
	// failed records that a statement printed an error.
	failed bool
	// depth guards SOURCE against files that source themselves.
	depth int

	meta *metaCache
	// progress is how COPY reports progress (copy_progress.go); Dial
	// decides bar or lines once, as the interactive front end later
	// wraps Out in a writer that no longer looks like a terminal.
	progress progressHooks

	// running cancels the statement in progress; Interrupt calls it from
	// another goroutine (a signal handler).
	running struct {
		sync.Mutex
		cancel context.CancelFunc // guarded by the mutex; nil between statements
	}
}

// Interrupt cancels the statement in progress, if any, as Ctrl-C does in
// cqlsh; the shell prints "Interrupted." and reads the next line. It is
// safe to call from any goroutine.
func (s *Shell) Interrupt() {
	s.running.Lock()
	defer s.running.Unlock()
	if s.running.cancel != nil {
		s.running.cancel()
	}
}

// startStatement gives a statement its own context, which Interrupt
// cancels; done releases it.
func (s *Shell) startStatement(ctx context.Context) (stmtCtx context.Context, done func()) {
	stmtCtx, cancel := context.WithCancel(ctx)
	s.running.Lock()
	s.running.cancel = cancel
	s.running.Unlock()
	return stmtCtx, func() {
		s.running.Lock()
		s.running.cancel = nil
		s.running.Unlock()
		cancel()
	}
}

// LineReader supplies input lines. ReadLine returns io.EOF at the end.
type LineReader interface {
	ReadLine(prompt string) (string, error)
}

// Dial connects to the node named in cfg.
func Dial(ctx context.Context, cfg Config) (*Shell, error) {
	cfg.ensureDefaults()
	s := &Shell{cfg: cfg, consistency: gocql.One, serial: gocql.Serial, pageSize: 100}
	s.meta = &metaCache{s: s}
	s.progress = defaultProgressHooks(cfg.Out)
	if err := s.connect(ctx, ""); err != nil {
		return nil, err
	}
	if cfg.Keyspace != "" {
		if err := s.use(ctx, cfg.Keyspace); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// Close ends the connection.
func (s *Shell) Close() {
	if s.session != nil {
		s.session.Close()
		s.session = nil
	}
}

// connect replaces the session by one whose connections use keyspace.
func (s *Shell) connect(ctx context.Context, keyspace string) error {
	c := gocql.NewCluster(s.cfg.Host)
	c.Port = s.cfg.Port
	c.ProtoVersion = 4
	c.Keyspace = keyspace
	c.Consistency = gocql.One
	c.Timeout = s.cfg.RequestTimeout
	c.ConnectTimeout = s.cfg.ConnectTimeout
	c.NumConns = 1
	c.DisableInitialHostLookup = true
	c.Logger = log.New(io.Discard, "", 0) // the shell reports errors itself
	if s.cfg.Username != "" {
		c.Authenticator = gocql.PasswordAuthenticator{Username: s.cfg.Username, Password: s.cfg.Password}
	}
	c.SslOpts = s.cfg.sslOptions()
	sess, err := c.CreateSession()
	if err != nil {
		return fmt.Errorf("cannot connect to %s:%d: %w", s.cfg.Host, s.cfg.Port, err)
	}
	if err := ctx.Err(); err != nil {
		sess.Close()
		return err
	}
	s.Close()
	s.session, s.keyspace = sess, keyspace
	s.meta.invalidate()
	return nil
}

// Prompt is the primary prompt: "sibyl> " or "sibyl:ks> ".
func (s *Shell) Prompt() string {
	if s.keyspace == "" {
		return "sibyl> "
	}
	return "sibyl:" + s.keyspace + "> "
}

// continuationPrompt is shown while a statement spans lines, as cqlsh's.
const continuationPrompt = "   ... "

// SetPaging turns paging on (page size n when n > 0) or off; the
// interactive front end turns it on, as cqlsh pages only on a terminal.
func (s *Shell) SetPaging(on bool, n int) {
	s.paging = on
	if n > 0 {
		s.pageSize = n
	}
}

// RunScript runs every statement in src, printing results and errors,
// and stops early only at EXIT or QUIT (the -e and -f paths). It never
// pauses for ---MORE---.
func (s *Shell) RunScript(ctx context.Context, src string) error {
	return s.RunReader(ctx, strings.NewReader(src))
}

// RunReader runs the statements read from r, such as a pipe, like
// RunScript.
func (s *Shell) RunReader(ctx context.Context, r io.Reader) error {
	return s.run(ctx, NewLineReader(r), false)
}

// Run reads lines from in until EOF or EXIT, running each complete
// statement, and with paging on waits for a line from in at ---MORE---.
// Errors of statements are printed and the loop goes on; the result is
// ErrStatementsFailed if any failed, or the context's error.
func (s *Shell) Run(ctx context.Context, in LineReader) error {
	return s.run(ctx, in, true)
}

func (s *Shell) run(ctx context.Context, in LineReader, pause bool) error {
	prevIn, prevPause := s.in, s.pause
	s.in, s.pause, s.failed = in, pause, false
	defer func() { s.in, s.pause = prevIn, prevPause }()
	var buf strings.Builder
	for {
		prompt := s.Prompt()
		if buf.Len() > 0 {
			prompt = continuationPrompt
		}
		line, err := in.ReadLine(prompt)
		if errors.Is(err, ErrInterrupted) {
			buf.Reset()
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("cannot read input: %w", err)
		}
		eof := errors.Is(err, io.EOF)
		if !eof {
			buf.WriteString(line)
			buf.WriteByte('\n')
		}
		if !eof && !complete(buf.String()) {
			continue
		}
		text := buf.String()
		buf.Reset()
		if err := s.runText(ctx, text); errors.Is(err, errExit) {
			return s.result()
		} else if err != nil {
			return err
		}
		if eof {
			return s.result()
		}
	}
}

func (s *Shell) result() error {
	if s.failed {
		return ErrStatementsFailed
	}
	return nil
}

// ErrInterrupted is what a LineReader returns when the user pressed
// Ctrl-C: the statement being typed is dropped.
var ErrInterrupted = errors.New("shell: interrupted")

// runText splits text into statements and runs them in order.
func (s *Shell) runText(ctx context.Context, text string) error {
	stmts, err := parser.SplitStatements(text)
	if err != nil {
		s.printErr("SyntaxException: " + err.Error())
		return nil
	}
	for _, st := range stmts {
		if err := ctx.Err(); err != nil {
			return err
		}
		stmtCtx, done := s.startStatement(ctx)
		err := s.runStatement(stmtCtx, st)
		done()
		if errors.Is(err, context.Canceled) && ctx.Err() == nil {
			s.printErr("Interrupted.")
			return nil // the rest of this input is dropped
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// shellCommands end at the end of their line; everything else ends at a
// semicolon.
var shellCommands = map[string]bool{
	"exit": true, "quit": true, "help": true, "?": true, "consistency": true,
	"serial": true, "tracing": true, "expand": true, "paging": true, "show": true,
	"source": true, "clear": true, "cls": true, "describe": true, "desc": true,
	"copy": true, "capture": true, "login": true,
}

// complete reports whether buf holds whole statements: a shell command on
// its line, or CQL that ends in a semicolon outside strings, comments and
// BEGIN BATCH ... APPLY BATCH.
func complete(buf string) bool {
	trimmed := strings.TrimSpace(buf)
	if trimmed == "" {
		return true
	}
	if shellCommands[strings.ToLower(firstWord(trimmed))] {
		return true
	}
	const sentinel = "sibyl_shell_sentinel"
	stmts, err := parser.SplitStatements(buf + "\n" + sentinel)
	if err != nil {
		return false // an open string or comment
	}
	return len(stmts) > 0 && stmts[len(stmts)-1] == sentinel
}

// firstWord returns the leading run of letters (or "?").
func firstWord(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "?") {
		return "?"
	}
	end := strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_')
	})
	if end < 0 {
		return s
	}
	return s[:end]
}

func (s *Shell) printf(format string, args ...any) {
	_, _ = fmt.Fprintf(s.cfg.Out, format, args...)
}

// reportErr prints a statement's error as cqlsh does, unless the
// statement was interrupted (runText says so once).
func (s *Shell) reportErr(ctx context.Context, err error) {
	if ctx.Err() != nil {
		return
	}
	s.printErr(describeError(err))
}

// printErr prints an error line and records the failure.
func (s *Shell) printErr(msg string) {
	s.failed = true
	_, _ = fmt.Fprintln(s.cfg.Err, msg)
}

// bufferedReader is the LineReader of a script or a pipe: no prompts.
type bufferedReader struct{ r *bufio.Reader }

// NewLineReader reads lines from r, printing no prompts.
func NewLineReader(r io.Reader) LineReader { return &bufferedReader{r: bufio.NewReader(r)} }

func (b *bufferedReader) ReadLine(string) (string, error) {
	line, err := b.r.ReadString('\n')
	if err != nil && (!errors.Is(err, io.EOF) || line == "") {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// readFile reads a file named in a command, expanding a leading ~.
func readFile(name string) ([]byte, error) {
	return os.ReadFile(expandHome(name))
}

func expandHome(name string) string {
	if name == "~" || strings.HasPrefix(name, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return home + name[1:]
		}
	}
	return name
}

// sslOptions is gocql's TLS configuration, nil without TLS.
func (c *Config) sslOptions() *gocql.SslOptions {
	if !c.SSL && c.TLSCA == "" && c.TLSCert == "" && c.TLSKey == "" && !c.TLSNoVerify {
		return nil
	}
	return &gocql.SslOptions{CaPath: c.TLSCA, CertPath: c.TLSCert, KeyPath: c.TLSKey,
		EnableHostVerification: !c.TLSNoVerify}
}
