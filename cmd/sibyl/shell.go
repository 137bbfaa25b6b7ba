package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/chzyer/readline"
	"github.com/spf13/cobra"

	"github.com/sibyldb/sibyl/internal/shell"
)

// shellFlags are `sibyl shell`'s flags.
type shellFlags struct {
	username, password, keyspace string
	ssl, tlsNoVerify             bool
	tlsCA, tlsCert, tlsKey       string
	execute, file                string
	connectTimeout, reqTimeout   time.Duration
}

func newShellCmd() *cobra.Command {
	var f shellFlags
	cmd := &cobra.Command{
		Use:   "shell [host] [port]",
		Short: "A cqlsh-style CQL shell",
		Long: `Connect to a node over CQL and run statements as cqlsh does: multi-line
statements ending with ';', history in ~/.sibyl_history, Tab completion of
keywords and schema names, tables printed as cqlsh prints them, and the
shell commands CONSISTENCY, SERIAL CONSISTENCY, EXPAND, PAGING, SHOW,
DESCRIBE, SOURCE, COPY ... TO/FROM, CLEAR, HELP and EXIT.

With -e or -f it runs the statements and exits, with status 1 if any failed.`,
		Example: `  sibyl shell
  sibyl shell 127.0.0.2 9042 -k ks
  sibyl shell -e "SELECT * FROM ks.t"
  sibyl shell -f schema.cql`,
		Args: cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error { return f.run(cmd, args) },
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.username, "username", "u", "", "user name for PasswordAuthenticator")
	fl.StringVarP(&f.password, "password", "p", "", "password for PasswordAuthenticator")
	fl.StringVarP(&f.keyspace, "keyspace", "k", "", "keyspace to use at start")
	fl.BoolVar(&f.ssl, "ssl", false, "connect over TLS (as cqlsh --ssl)")
	fl.StringVar(&f.tlsCA, "tls-ca", "", "PEM CA bundle the node's certificate is verified against (implies --ssl; default $SSL_CERTFILE, as cqlsh)")
	fl.StringVar(&f.tlsCert, "tls-cert", "", "PEM client certificate, for nodes that require one (implies --ssl)")
	fl.StringVar(&f.tlsKey, "tls-key", "", "PEM private key of --tls-cert")
	fl.BoolVar(&f.tlsNoVerify, "tls-no-verify", false, "do not verify the node's certificate (implies --ssl; cqlsh's SSL_VALIDATE=false)")
	fl.StringVarP(&f.execute, "execute", "e", "", "execute these statements and exit")
	fl.StringVarP(&f.file, "file", "f", "", "execute the statements in this file and exit")
	fl.DurationVar(&f.connectTimeout, "connect-timeout", 10*time.Second, "time allowed to connect")
	fl.DurationVar(&f.reqTimeout, "request-timeout", 10*time.Second, "time allowed for each request")
	return cmd
}

func (f shellFlags) config(cmd *cobra.Command, args []string) (shell.Config, error) {
	cfg := shell.Config{
		Username: f.username, Password: f.password, Keyspace: f.keyspace,
		SSL: f.ssl, TLSCA: f.tlsCA, TLSCert: f.tlsCert, TLSKey: f.tlsKey, TLSNoVerify: f.tlsNoVerify,
		ConnectTimeout: f.connectTimeout, RequestTimeout: f.reqTimeout,
		Out: cmd.OutOrStdout(), Err: cmd.ErrOrStderr(),
	}
	// cqlsh's environment: SSL_CERTFILE names the CA, SSL_VALIDATE=false
	// turns verification off; both only with --ssl.
	if cfg.SSL && cfg.TLSCA == "" {
		cfg.TLSCA = os.Getenv("SSL_CERTFILE")
	}
	if cfg.SSL && strings.EqualFold(os.Getenv("SSL_VALIDATE"), "false") {
		cfg.TLSNoVerify = true
	}
	if len(args) > 0 {
		cfg.Host = args[0]
	}
	if len(args) > 1 {
		port, err := strconv.Atoi(args[1])
		if err != nil || port <= 0 || port > 65535 {
			return cfg, fmt.Errorf("invalid port %q", args[1])
		}
		cfg.Port = port
	}
	if f.execute != "" && f.file != "" {
		return cfg, fmt.Errorf("-e and -f cannot be used together")
	}
	return cfg, nil
}

func (f shellFlags) run(cmd *cobra.Command, args []string) error {
	cfg, err := f.config(cmd, args)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	sh, err := shell.Dial(ctx, cfg)
	if err != nil {
		return err
	}
	defer sh.Close()
	switch {
	case f.execute != "":
		return sh.RunScript(ctx, f.execute)
	case f.file != "":
		data, err := os.ReadFile(f.file)
		if err != nil {
			return fmt.Errorf("cannot read %s: %w", f.file, err)
		}
		return sh.RunScript(ctx, string(data))
	case readline.IsTerminal(int(os.Stdin.Fd())):
		return sh.RunInteractive(ctx)
	}
	return sh.RunReader(ctx, cmd.InOrStdin())
}
