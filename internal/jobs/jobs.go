// Package jobs runs Chorus's background work on a durable queue kept in the
// same database as everything else (github.com/riverqueue/river): a job is
// inserted in the same transaction as the change that needs it, survives
// restarts, is retried with exponential backoff, and keeps the error of
// every attempt.
package jobs

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"

	"chorus/internal/store"
)

// MaxAttempts is how often a track's processing is tried before the track
// is marked failed; River waits attempt⁴ seconds (plus jitter) between tries.
const MaxAttempts = 5

// ProcessTrackArgs asks for an uploaded track to be transcoded, measured
// and given its waveform and artwork.
type ProcessTrackArgs struct {
	TrackID int64 `json:"track_id"`
}

// Kind names the job in the queue table.
func (ProcessTrackArgs) Kind() string { return "process_track" }

// InsertOpts makes a track have at most one waiting or running job. A
// finished job does not count: SQLite gives a new track the id of a
// deleted one, and that track must be processed too.
func (ProcessTrackArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: MaxAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: waitingOrRunning}}
}

// waitingOrRunning are the job states in which a job still has work to do
// (River requires a unique job's states to include available, pending,
// running and scheduled).
var waitingOrRunning = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending,
	rivertype.JobStateRetryable, rivertype.JobStateRunning, rivertype.JobStateScheduled}

// TrackProcessor does the work of a ProcessTrackArgs job. Attempt counts
// from 1; final is true on the last attempt.
type TrackProcessor interface {
	ProcessTrack(ctx context.Context, trackID int64, attempt int, final bool) error
}

// SendMailArgs asks for one outbox message to be delivered.
type SendMailArgs struct {
	OutboxID int64 `json:"outbox_id"`
}

// Kind names the job in the queue table.
func (SendMailArgs) Kind() string { return "send_mail" }

// MailQueue is the queue send jobs wait in, apart from track processing:
// only processes that can deliver mail (chorus serve) work it, and a long
// transcode never holds up a password reset.
const MailQueue = "mail"

// MailAttempts is how often a message is tried before it is given up;
// with River's backoff (attempt⁴ seconds) the last try comes about four
// hours after the first. A relay takes over longer retries (RFC 5321
// §4.5.4.1) once it has accepted the message.
const MailAttempts = 10

// InsertOpts puts send jobs on the mail queue.
func (SendMailArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: MailAttempts, Queue: MailQueue}
}

// Mailer does the work of a SendMailArgs job. Attempt counts from 1; final
// is true on the last attempt.
type Mailer interface {
	SendMail(ctx context.Context, outboxID int64, attempt int, final bool) error
}

// EraseMemberArgs asks for a member's account to be erased, as their
// request of RequestedAt (microseconds since 1970) says. A request that
// was cancelled or replaced since makes the job do nothing.
type EraseMemberArgs struct {
	MemberID    int64 `json:"member_id"`
	RequestedAt int64 `json:"requested_at"`
}

// Kind names the job in the queue table.
func (EraseMemberArgs) Kind() string { return "erase_member" }

// PrivacyQueue is the queue erasure jobs wait in: only processes that can
// erase (chorus serve) work it.
const PrivacyQueue = "privacy"

// InsertOpts puts erasure jobs on the privacy queue. Erasure is safe to
// run again, so it is retried until it succeeds (about three days).
func (EraseMemberArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 25, Queue: PrivacyQueue}
}

// Eraser does the work of an EraseMemberArgs job.
type Eraser interface {
	EraseRequested(ctx context.Context, memberID int64, requestedAt time.Time) error
}

type eraseMemberWorker struct {
	river.WorkerDefaults[EraseMemberArgs]
	e Eraser
}

func (w *eraseMemberWorker) Work(ctx context.Context, job *river.Job[EraseMemberArgs]) error {
	return w.e.EraseRequested(ctx, job.Args.MemberID, time.UnixMicro(job.Args.RequestedAt).UTC())
}

// EnqueueErasure inserts, inside tx, the job that erases the member's
// account at the time their request says.
func (q *Queue) EnqueueErasure(ctx context.Context, tx *store.Tx, r store.ErasureRequest) error {
	_, err := q.client.InsertTx(ctx, tx.SQL(), EraseMemberArgs{MemberID: r.MemberID, RequestedAt: r.RequestedAt.UnixMicro()},
		&river.InsertOpts{ScheduledAt: r.EraseAt})
	return err
}

// ExportDataArgs asks for the ZIP of a member's export of their data.
type ExportDataArgs struct {
	ExportID string `json:"export_id"`
}

// Kind names the job in the queue table.
func (ExportDataArgs) Kind() string { return "export_data" }

// InsertOpts puts export jobs on the privacy queue; making the ZIP again
// is safe, so a failure is retried.
func (ExportDataArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 10, Queue: PrivacyQueue}
}

// Exporter does the work of an ExportDataArgs job.
type Exporter interface {
	BuildExport(ctx context.Context, exportID string) error
}

type exportDataWorker struct {
	river.WorkerDefaults[ExportDataArgs]
	e Exporter
}

func (w *exportDataWorker) Work(ctx context.Context, job *river.Job[ExportDataArgs]) error {
	err := w.e.BuildExport(ctx, job.Args.ExportID)
	if errors.Is(err, ErrPermanent) {
		return river.JobCancel(err)
	}
	return err
}

// EnqueueExport inserts, inside tx, the job that makes the export's ZIP.
func (q *Queue) EnqueueExport(ctx context.Context, tx *store.Tx, exportID string) error {
	_, err := q.client.InsertTx(ctx, tx.SQL(), ExportDataArgs{ExportID: exportID}, nil)
	return err
}

// ErrPermanent marks an error that retrying cannot fix (the file is not
// audio, or is truncated); wrap it to fail the job at once.
var ErrPermanent = errors.New("permanent failure")

// Config configures a Queue.
type Config struct {
	// Workers is how many jobs run at once; 0 makes an insert-only queue
	// that runs nothing (commands that only enqueue).
	Workers int
	// JobTimeout bounds one attempt. A job left running by a process that
	// died is retried a little after this.
	JobTimeout time.Duration
	// Processor runs track jobs; required when Workers > 0.
	Processor TrackProcessor
	// Mailer, when set (and Workers > 0), delivers mail: this queue then
	// also works the mail queue, with MailWorkers at once.
	Mailer      Mailer
	MailWorkers int // 0 means 2
	// Eraser, when set (and Workers > 0), erases accounts: this queue then
	// also works the privacy queue.
	Eraser Eraser
	// Exporter, when set (and Workers > 0), makes members' exports of
	// their data: this queue then also works the privacy queue.
	Exporter Exporter
	Logger   *slog.Logger
	// Host and Staging identify this process to other processes sharing
	// the data directory: the queue client id is "HOST/STAGING-NAME", so
	// that a job left running by a process that died on this host can be
	// recognised and resumed at once (see RescueOrphans). Without a
	// Staging, the queue's own rescue after JobTimeout applies.
	Host    string
	Staging Liveness
}

// Liveness tells whether the process behind a staging name still runs.
type Liveness interface {
	Name() string
	Alive(name string) bool
}

// Queue enqueues and runs jobs.
type Queue struct {
	client *river.Client[*sql.Tx]
	run    bool
	db     *store.DB
	cfg    Config
}

type processTrackWorker struct {
	river.WorkerDefaults[ProcessTrackArgs]
	p TrackProcessor
}

func (w *processTrackWorker) Work(ctx context.Context, job *river.Job[ProcessTrackArgs]) error {
	final := job.Attempt >= job.MaxAttempts
	err := w.p.ProcessTrack(ctx, job.Args.TrackID, job.Attempt, final)
	if errors.Is(err, ErrPermanent) {
		return river.JobCancel(err)
	}
	return err
}

type sendMailWorker struct {
	river.WorkerDefaults[SendMailArgs]
	m Mailer
}

func (w *sendMailWorker) Work(ctx context.Context, job *river.Job[SendMailArgs]) error {
	err := w.m.SendMail(ctx, job.Args.OutboxID, job.Attempt, job.Attempt >= job.MaxAttempts)
	if errors.Is(err, ErrPermanent) {
		return river.JobCancel(err)
	}
	return err
}

// Timeout bounds one delivery, well below the track job timeout: an SMTP
// exchange that has not finished in two minutes is stuck.
func (w *sendMailWorker) Timeout(*river.Job[SendMailArgs]) time.Duration { return 2 * time.Minute }

// New builds a queue on db. It starts nothing; call Start to run jobs.
func New(db *store.DB, cfg Config) (*Queue, error) {
	var driver riverdriver.Driver[*sql.Tx]
	if db.Dialect() == store.Postgres {
		driver = riverdatabasesql.New(db.JobsSQL())
	} else {
		driver = riversqlite.New(db.JobsSQL())
	}
	rc := &river.Config{Logger: cfg.Logger}
	if cfg.Staging != nil {
		rc.ID = clientID(cfg.Host, cfg.Staging.Name())
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
		rc.Logger = cfg.Logger
	}
	if cfg.Workers > 0 {
		if cfg.Processor == nil {
			return nil, errors.New("jobs: a Processor is required to run jobs")
		}
		workers := river.NewWorkers()
		river.AddWorker(workers, &processTrackWorker{p: cfg.Processor})
		rc.Workers = workers
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}}
		if cfg.Mailer != nil {
			river.AddWorker(workers, &sendMailWorker{m: cfg.Mailer})
			rc.Queues[MailQueue] = river.QueueConfig{MaxWorkers: cmp.Or(cfg.MailWorkers, 2)}
		}
		if cfg.Eraser != nil {
			river.AddWorker(workers, &eraseMemberWorker{e: cfg.Eraser})
			rc.Queues[PrivacyQueue] = river.QueueConfig{MaxWorkers: 1}
		}
		if cfg.Exporter != nil {
			river.AddWorker(workers, &exportDataWorker{e: cfg.Exporter})
			rc.Queues[PrivacyQueue] = river.QueueConfig{MaxWorkers: 1}
		}
		rc.JobTimeout = cfg.JobTimeout
		rc.RescueStuckJobsAfter = cfg.JobTimeout + cfg.JobTimeout/10 + time.Second
		rc.FetchPollInterval = 250 * time.Millisecond
		rc.FetchCooldown = 50 * time.Millisecond
	}
	c, err := river.NewClient(driver, rc)
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	return &Queue{client: c, run: cfg.Workers > 0, db: db, cfg: cfg}, nil
}

func clientID(host, staging string) string {
	if len(host) > 60 {
		host = host[:60]
	}
	return host + "/" + staging
}

// RescueOrphans makes track and mail jobs that a dead process on this host left in
// the running state available again, so processing resumes within seconds
// of a restart instead of after the job timeout. Jobs of live processes and
// of other hosts are left alone. It returns how many jobs it requeued.
func (q *Queue) RescueOrphans(ctx context.Context) (int, error) {
	if q.cfg.Staging == nil {
		return 0, nil
	}
	var running []store.OrphanedJob
	for _, kind := range []string{ProcessTrackArgs{}.Kind(), SendMailArgs{}.Kind()} {
		jobs, err := q.db.RunningJobs(ctx, kind)
		if err != nil {
			return 0, err
		}
		running = append(running, jobs...)
	}
	prefix := clientID(q.cfg.Host, "")
	n := 0
	for _, j := range running {
		name, ok := strings.CutPrefix(j.Worker, prefix)
		if !ok || q.cfg.Staging.Alive(name) {
			continue
		}
		requeued, err := q.db.RequeueJob(ctx, j.ID)
		if err != nil {
			return n, err
		}
		if requeued {
			n++
			q.cfg.Logger.Info("resumed a job left by a stopped process", "job", j.ID, "worker", j.Worker)
		}
	}
	return n, nil
}

// Start begins running jobs until Stop.
func (q *Queue) Start(ctx context.Context) error {
	if !q.run {
		return nil
	}
	return q.client.Start(ctx)
}

// Stop stops fetching new jobs and waits for running ones until ctx ends;
// jobs still running then are cancelled and will be retried.
func (q *Queue) Stop(ctx context.Context) error {
	if !q.run {
		return nil
	}
	err := q.client.Stop(ctx)
	if err == nil {
		return nil
	}
	cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return errors.Join(err, q.client.StopAndCancel(cctx))
}

// EnqueueProcessTrack inserts a processing job for a track inside tx, so
// that the job exists exactly when the change that needs it is committed.
func (q *Queue) EnqueueProcessTrack(ctx context.Context, tx *store.Tx, trackID int64) error {
	_, err := q.client.InsertTx(ctx, tx.SQL(), ProcessTrackArgs{TrackID: trackID}, nil)
	return err
}

// EnqueueSendMail inserts a send job for an outbox message inside tx, the
// transaction that stores the message.
func (q *Queue) EnqueueSendMail(ctx context.Context, tx *store.Tx, outboxID int64) error {
	_, err := q.client.InsertTx(ctx, tx.SQL(), SendMailArgs{OutboxID: outboxID}, nil)
	return err
}

// JobInfo describes a job for the admin listing.
type JobInfo struct {
	ID          int64
	Kind        string
	State       string
	Attempt     int
	MaxAttempts int
	Args        string
	LastError   string
	CreatedAt   time.Time
	FinalizedAt time.Time
}

// List returns recent jobs in the given states (all states when empty), newest first.
func (q *Queue) List(ctx context.Context, states []string, limit int) ([]JobInfo, error) {
	params := river.NewJobListParams().First(limit).OrderBy(river.JobListOrderByID, river.SortOrderDesc)
	if len(states) > 0 {
		var st []rivertype.JobState
		for _, s := range states {
			st = append(st, rivertype.JobState(s))
		}
		params = params.States(st...)
	}
	res, err := q.client.JobList(ctx, params)
	if err != nil {
		return nil, err
	}
	out := make([]JobInfo, 0, len(res.Jobs))
	for _, j := range res.Jobs {
		info := JobInfo{ID: j.ID, Kind: j.Kind, State: string(j.State), Attempt: j.Attempt, MaxAttempts: j.MaxAttempts,
			Args: string(j.EncodedArgs), CreatedAt: j.CreatedAt}
		if j.FinalizedAt != nil {
			info.FinalizedAt = *j.FinalizedAt
		}
		if n := len(j.Errors); n > 0 {
			info.LastError = j.Errors[n-1].Error
		}
		out = append(out, info)
	}
	return out, nil
}
