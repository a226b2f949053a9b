package plugin

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/parse"
	"github.com/baktainer/baktainer/store"
)

// The options `docker volume create -d baktainer -o KEY=VALUE` accepts. Retention
// options carry the names of the baktainer.retention.* labels, without the prefix;
// a container's own labels win over its volume's options (the agent decides).
const (
	OptRetentionDays    = "retention.days"
	OptRetentionCount   = "retention.count"
	OptRetentionDaily   = "retention.daily"
	OptRetentionWeekly  = "retention.weekly"
	OptRetentionMonthly = "retention.monthly"
	// OptRecipients: comma-separated age public keys ("age1...") or SSH public
	// keys ("ssh-ed25519 AAAA..."), the archives on this volume are encrypted to.
	// Never a passphrase or private key: options show in `docker volume inspect`.
	OptRecipients = "recipients"
	// OptRemoveArchives: "true" lets `docker volume rm` delete a volume that still
	// holds archives (by default that is refused).
	OptRemoveArchives = "remove-archives"
	// OptConsumers: "ro" (the default) mounts the volume read-only in every
	// container; "rw" lets containers write into it (and delete or change archives).
	OptConsumers = "consumers"
	// OptS3Bucket and OptS3Prefix: where this volume's archives are copied off
	// the host, instead of BT_S3_BUCKET and BT_S3_PREFIX. The server and the
	// credentials stay plugin settings (BT_S3_*): options show in `docker
	// volume inspect`.
	OptS3Bucket = "s3.bucket"
	OptS3Prefix = "s3.prefix"
	// The remote copies' own retention, rule by rule over BT_S3_RETENTION_*.
	OptS3RetentionDays    = "s3.retention.days"
	OptS3RetentionCount   = "s3.retention.count"
	OptS3RetentionDaily   = "s3.retention.daily"
	OptS3RetentionWeekly  = "s3.retention.weekly"
	OptS3RetentionMonthly = "s3.retention.monthly"
	// OptFreeSpaceFloor: the free space a backup's write never goes below on the
	// data mount (auto, 0, GiB or a share such as 10%), instead of
	// BT_FREE_SPACE_FLOOR, for the backups written onto this volume.
	OptFreeSpaceFloor = "free-space-floor"
)

// Options are a volume's validated create options.
type Options struct {
	// Retention overrides BT_RETENTION_* for the archives on this volume; nil
	// fields are not set.
	Retention labels.Retention
	// Recipients are the public keys archives on this volume are encrypted to;
	// empty means the agent's default (BT_* settings).
	Recipients []string
	// RemoveArchives lets Remove delete a volume that still holds archives.
	RemoveArchives bool
	// Encryption is the archives' encryption to Recipients; nil when the volume
	// has none (the agent's BT_ENCRYPTION_* apply).
	Encryption *store.Encryption
	// ConsumersWrite: containers that mount the volume may write into it
	// (consumers=rw); by default they see it read-only.
	ConsumersWrite bool
	// S3Bucket and S3Prefix replace BT_S3_BUCKET and BT_S3_PREFIX for this
	// volume's copies off the host; empty: the plugin's.
	S3Bucket, S3Prefix string
	// S3Retention overrides the remote copies' policy; nil fields are not set.
	S3Retention labels.Retention
	// FreeSpaceFloor replaces BT_FREE_SPACE_FLOOR for the backups written onto
	// this volume; nil when not set.
	FreeSpaceFloor *parse.Floor
}

// ParseOptions validates the options of a create request. Every problem is
// reported, each naming its option; nothing is created when any is wrong.
func ParseOptions(raw map[string]string) (Options, error) {
	var o Options
	var problems []error
	fail := func(key, problem string) {
		problems = append(problems, fmt.Errorf("option %s %s", key, problem))
	}
	// The same parsers, and limits, as the BT_RETENTION_* settings and labels.
	keep := func(s string) (int, error) { return parse.Count(s, 0, parse.MaxKeep) }
	count := func(key string, parseCount func(string) (int, error)) *int {
		v, ok := raw[key]
		if !ok {
			return nil
		}
		n, err := parseCount(v)
		if err != nil {
			fail(key, fmt.Sprintf("=%q: %v", v, err))
			return nil
		}
		return &n
	}
	o.Retention = labels.Retention{
		Days: count(OptRetentionDays, parse.Days), Count: count(OptRetentionCount, keep),
		Daily: count(OptRetentionDaily, keep), Weekly: count(OptRetentionWeekly, keep), Monthly: count(OptRetentionMonthly, keep),
	}
	if v, ok := raw[OptRecipients]; ok {
		for _, r := range strings.Split(v, ",") {
			o.Recipients = append(o.Recipients, strings.TrimSpace(r))
		}
		// The store's parser never repeats an entry: it might be a misplaced private key.
		enc, err := store.RecipientEncryption(OptRecipients, o.Recipients)
		if err != nil {
			problems = append(problems, fmt.Errorf("option %w", err))
			o.Recipients = nil
		} else {
			o.Encryption = &enc
		}
	}
	if v, ok := raw[OptRemoveArchives]; ok {
		b, err := parse.Bool(v)
		if err != nil {
			fail(OptRemoveArchives, fmt.Sprintf("=%q: %v", v, err))
		}
		o.RemoveArchives = b
	}
	s3Problems := o.parseS3(raw, count, keep) // its counts report through fail
	problems = append(problems, s3Problems...)
	if v, ok := raw[OptConsumers]; ok {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "ro":
		case "rw":
			o.ConsumersWrite = true
		default:
			fail(OptConsumers, fmt.Sprintf("=%q: must be ro or rw", v))
		}
	}
	if v, ok := raw[OptFreeSpaceFloor]; ok {
		floor, err := parse.FreeSpaceFloor(v)
		if err != nil {
			fail(OptFreeSpaceFloor, fmt.Sprintf("=%q: %v", v, err))
		} else {
			o.FreeSpaceFloor = &floor
		}
	}
	for _, key := range slices.Sorted(maps.Keys(raw)) {
		if isS3Credential(key) {
			fail(key, "is not a volume option: the S3 credentials are plugin settings (BT_S3_ACCESS_KEY, BT_S3_SECRET_KEY or their _FILE variants), never volume options, which `docker volume inspect` shows to anyone")
			continue
		}
		if !slices.Contains(knownOptions, key) {
			fail(key, "is not a baktainer volume option; use one of "+strings.Join(knownOptions, ", "))
		}
	}
	if len(problems) > 0 {
		return Options{}, fmt.Errorf("%w: %w", ErrInvalid, errors.Join(problems...))
	}
	return o, nil
}

var knownOptions = []string{
	OptConsumers, OptFreeSpaceFloor, OptRecipients, OptRemoveArchives, OptRetentionCount, OptRetentionDaily,
	OptRetentionDays, OptRetentionMonthly, OptRetentionWeekly,
	OptS3Bucket, OptS3Prefix, OptS3RetentionCount, OptS3RetentionDaily, OptS3RetentionDays,
	OptS3RetentionMonthly, OptS3RetentionWeekly,
}

// validName is what Docker's own local driver accepts, and safe as a directory name.
var validName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// MaxNameLength is the longest volume name: the longest file name made from it,
// its record's temp file ".tmp-NAME-" plus up to 10 random digits
// (atomicfile), must fit in 255 bytes.
const MaxNameLength = 255 - len(stateTempPrefix) - len("-") - 10

// CheckName reports whether name can be a backup volume's name. (The settings'
// shared name parser is to replace it: keep every volume-name rule here.)
func CheckName(name string) error {
	if !validName.MatchString(name) {
		return fmt.Errorf("%w: volume name %q: use letters, digits, '_', '.' and '-', starting with a letter or digit", ErrInvalid, name)
	}
	if len(name) > MaxNameLength {
		return fmt.Errorf("%w: volume name %.40q... is %d characters long: use at most %d characters", ErrInvalid, name, len(name), MaxNameLength)
	}
	return nil
}
