package plugin

import (
	"fmt"
	"strings"

	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/offsite"
	"github.com/baktainer/baktainer/parse"
)

// parseS3 reads the s3.* options into o: the bucket and prefix of the
// volume's copies off the host, and their own retention. count reads an
// optional whole number as the other retention options do.
func (o *Options) parseS3(raw map[string]string, count func(string, func(string) (int, error)) *int, keep func(string) (int, error)) []error {
	var problems []error
	if v, ok := raw[OptS3Bucket]; ok {
		if err := offsite.CheckBucketName(v); err != nil {
			problems = append(problems, fmt.Errorf("option %s=%q: %v", OptS3Bucket, v, err))
		} else {
			o.S3Bucket = v
		}
	}
	if v, ok := raw[OptS3Prefix]; ok {
		if err := offsite.CheckPrefix(v); err != nil || strings.Trim(v, "/") == "" {
			if err == nil {
				err = fmt.Errorf("empty: unset the option instead (KEY=)")
			}
			problems = append(problems, fmt.Errorf("option %s=%q: %v", OptS3Prefix, v, err))
		} else {
			o.S3Prefix = strings.Trim(v, "/")
		}
	}
	o.S3Retention = labels.Retention{
		Days: count(OptS3RetentionDays, parse.Days), Count: count(OptS3RetentionCount, keep),
		Daily: count(OptS3RetentionDaily, keep), Weekly: count(OptS3RetentionWeekly, keep), Monthly: count(OptS3RetentionMonthly, keep),
	}
	return problems
}

// HasS3 reports whether the volume asks for something of its copies off the
// host.
func (o Options) HasS3() bool {
	r := o.S3Retention
	return o.S3Bucket != "" || o.S3Prefix != "" || r.Days != nil || r.Count != nil || r.Daily != nil || r.Weekly != nil || r.Monthly != nil
}

// isS3Credential reports whether an option's key looks like an S3 credential:
// refused with a reason, not as a mere unknown option.
func isS3Credential(key string) bool {
	k := strings.ToLower(key)
	return strings.HasPrefix(k, "s3.") && (strings.Contains(k, "key") || strings.Contains(k, "secret") || strings.Contains(k, "password") || strings.Contains(k, "token"))
}
