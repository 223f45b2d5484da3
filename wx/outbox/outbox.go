package outbox

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"qunguan/wx"
)

// Sender is what the outbox sends with; *wx.Client implements it.
type Sender interface {
	SendText(ctx context.Context, to, text string) (wx.SendResult, error)
	SendImage(ctx context.Context, to, name string, data []byte) (wx.SendResult, error)
	SendFile(ctx context.Context, to, name string, data []byte) (wx.SendResult, error)
	SendVideo(ctx context.Context, to, name string, data []byte) (wx.SendResult, error)
}

var _ Sender = (*wx.Client)(nil)

// ErrFull is returned by Enqueue when the queue holds QueueSize jobs already.
var ErrFull = errors.New("outbox: queue full")

// Kind of a job.
const (
	Text  = "text"
	Image = "image"
	File  = "file"
	Video = "video"
	Op    = "op"
)

// Job is one message to send.
type Job struct {
	To     string // UserName of the chat (this login's)
	ChatID string // stable id of the chat, passed through to Result for logging
	Kind   string // Text (default), Image, File, Video
	Text   string
	Path   string // media: read when the job is sent
	Origin string // who queued it ("keywords.lua"), for logs
	// Do, when set, is the job itself: a group operation or friend acceptance, paced and
	// retried like a send (rapid group adds are a known path to a ban). Kind is then Op.
	Do func(ctx context.Context) (wx.SendResult, error)
}

// Result reports one job's outcome. Sent.MsgID is set on success.
type Result struct {
	Job      Job
	Sent     wx.SendResult
	Err      error
	Attempts int
	At       time.Time
}

// Options tune the outbox; zero values are the defaults.
type Options struct {
	PerSecond        float64       // default 1 message a second
	Jitter           float64       // fraction of the interval added at random; default 0.5
	PerChatPerMinute int           // default 20
	Backoff1205      time.Duration // pause after Ret 1205; default 5 minutes
	MaxAttempts      int           // tries per job (1205 and network errors); default 3
	QueueSize        int           // default 10000
	Unpaced          bool          // no pacing at all: benchmarks only
	OnResult         func(Result)  // called on the Run goroutine after each job
	Logger           *logrus.Entry
}

// Outbox is a paced send queue for one account.
type Outbox struct {
	sender Sender
	opts   Options
	log    *logrus.Entry

	mu      sync.Mutex
	queue   []queued
	wake    chan struct{}
	perChat map[string][]time.Time // send times in the last minute
	last    time.Time
	paused  time.Time // no sends before this (1205)
}

type queued struct {
	job       Job
	attempts  int
	notBefore time.Time
}

// New returns an outbox sending through sender.
func New(sender Sender, opts Options) *Outbox {
	if opts.PerSecond <= 0 {
		opts.PerSecond = 1
	}
	if opts.Jitter <= 0 {
		opts.Jitter = 0.5
	}
	if opts.PerChatPerMinute <= 0 {
		opts.PerChatPerMinute = 20
	}
	if opts.Backoff1205 <= 0 {
		opts.Backoff1205 = 5 * time.Minute
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 3
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 10000
	}
	if opts.Logger == nil {
		opts.Logger = logrus.NewEntry(logrus.StandardLogger())
	}
	return &Outbox{
		sender: sender, opts: opts, log: opts.Logger.WithField("module", "outbox"),
		wake: make(chan struct{}, 1), perChat: map[string][]time.Time{},
	}
}

// Enqueue adds a job. It never blocks.
func (o *Outbox) Enqueue(job Job) error {
	switch {
	case job.Do != nil:
		job.Kind = Op
	case job.Kind == "":
		job.Kind = Text
	}
	if job.To == "" {
		return fmt.Errorf("outbox: job without a chat")
	}
	o.mu.Lock()
	if len(o.queue) >= o.opts.QueueSize {
		o.mu.Unlock()
		return ErrFull
	}
	o.queue = append(o.queue, queued{job: job})
	o.mu.Unlock()
	select {
	case o.wake <- struct{}{}:
	default:
	}
	return nil
}

// Len returns how many jobs wait.
func (o *Outbox) Len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.queue)
}

// Run sends jobs until ctx ends.
func (o *Outbox) Run(ctx context.Context) error {
	for {
		q, wait, ok := o.next(time.Now())
		if !ok {
			var timer *time.Timer
			var fire <-chan time.Time
			if wait > 0 {
				timer = time.NewTimer(wait)
				fire = timer.C
			}
			select {
			case <-ctx.Done():
			case <-o.wake:
			case <-fire:
			}
			if timer != nil {
				timer.Stop()
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			continue
		}
		o.send(ctx, q)
	}
}

// Drain sends what it can until ctx ends or the queue is empty, still paced. For shutdown.
func (o *Outbox) Drain(ctx context.Context) int {
	sent := 0
	for o.Len() > 0 {
		q, wait, ok := o.next(time.Now())
		if !ok {
			if wait <= 0 {
				wait = 50 * time.Millisecond
			}
			select {
			case <-ctx.Done():
				return sent
			case <-time.After(wait):
			}
			continue
		}
		o.send(ctx, q)
		sent++
	}
	return sent
}

// next picks the first job that may go now, or says how long to wait.
func (o *Outbox) next(now time.Time) (queued, time.Duration, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.queue) == 0 {
		return queued{}, 0, false
	}
	if !o.opts.Unpaced {
		if now.Before(o.paused) {
			return queued{}, o.paused.Sub(now), false
		}
		interval := time.Duration(float64(time.Second) / o.opts.PerSecond)
		gap := interval + time.Duration(rand.Float64()*o.opts.Jitter*float64(interval))
		if d := o.last.Add(gap).Sub(now); d > 0 {
			return queued{}, d, false
		}
	}
	soonest := time.Duration(-1)
	for i, q := range o.queue {
		wait := q.notBefore.Sub(now)
		if !o.opts.Unpaced {
			if w := o.chatWait(q.job.To, now); w > wait {
				wait = w
			}
		}
		if wait <= 0 {
			o.queue = append(o.queue[:i], o.queue[i+1:]...)
			o.last = now
			o.perChat[q.job.To] = append(o.perChat[q.job.To], now)
			return q, 0, true
		}
		if soonest < 0 || wait < soonest {
			soonest = wait
		}
	}
	return queued{}, soonest, false
}

// chatWait is how long a chat must wait for its per-minute budget.
func (o *Outbox) chatWait(chat string, now time.Time) time.Duration {
	times := o.perChat[chat]
	cut := 0
	for cut < len(times) && now.Sub(times[cut]) >= time.Minute {
		cut++
	}
	times = times[cut:]
	if len(times) == 0 {
		delete(o.perChat, chat)
		return 0
	}
	o.perChat[chat] = times
	if len(times) < o.opts.PerChatPerMinute {
		return 0
	}
	return times[0].Add(time.Minute).Sub(now)
}

// send performs one job and reports or requeues it.
func (o *Outbox) send(ctx context.Context, q queued) {
	q.attempts++
	res, err := o.perform(ctx, q.job)
	log := o.log.WithFields(logrus.Fields{"chat": q.job.ChatID, "kind": q.job.Kind, "origin": q.job.Origin, "attempt": q.attempts})
	if err != nil && q.attempts < o.opts.MaxAttempts && ctx.Err() == nil {
		switch {
		case errors.Is(err, wx.ErrTooOften):
			// 1205: the server wants us slower for minutes. Pause everything, keep the job.
			log.WithError(err).Warn("server says we send too often; pausing sends")
			o.requeue(q, time.Now().Add(o.opts.Backoff1205), true)
			return
		case retryable(err):
			log.WithError(err).Warn("send failed; will retry")
			o.requeue(q, time.Now().Add(time.Duration(q.attempts)*2*time.Second), false)
			return
		}
	}
	if err != nil {
		log.WithError(err).Error("send failed")
	} else {
		log.WithField("msg_id", res.MsgID).Debug("sent")
	}
	if o.opts.OnResult != nil {
		o.opts.OnResult(Result{Job: q.job, Sent: res, Err: err, Attempts: q.attempts, At: time.Now()})
	}
}

func (o *Outbox) requeue(q queued, notBefore time.Time, pauseAll bool) {
	o.mu.Lock()
	q.notBefore = notBefore
	o.queue = append([]queued{q}, o.queue...) // keep its place: order within a chat matters
	if pauseAll {
		o.paused = notBefore
	}
	o.mu.Unlock()
}

// retryable: network trouble and 5xx, not protocol refusals or missing files.
func retryable(err error) bool {
	var re *wx.RetError
	if errors.As(err, &re) || errors.Is(err, os.ErrNotExist) || wx.IsSessionEnded(err) || errors.Is(err, wx.ErrNotLoggedIn) {
		return false
	}
	var he *wx.HTTPError
	if errors.As(err, &he) {
		return he.Status >= 500
	}
	return true
}

func (o *Outbox) perform(ctx context.Context, job Job) (wx.SendResult, error) {
	if job.Do != nil {
		return job.Do(ctx)
	}
	if job.Kind == Text {
		return o.sender.SendText(ctx, job.To, job.Text)
	}
	data, err := os.ReadFile(job.Path)
	if err != nil {
		return wx.SendResult{}, fmt.Errorf("outbox: %w", err)
	}
	name := filepath.Base(job.Path)
	switch job.Kind {
	case Image:
		return o.sender.SendImage(ctx, job.To, name, data)
	case Video:
		return o.sender.SendVideo(ctx, job.To, name, data)
	case File:
		return o.sender.SendFile(ctx, job.To, name, data)
	}
	return wx.SendResult{}, fmt.Errorf("outbox: unknown job kind %q", job.Kind)
}
