#!/usr/bin/env perl
# Check META.json against the structure of the PGXN Meta Spec 1.0.0
# (https://pgxn.org/spec/): required keys and their types, Terms, SemVer
# versions, licenses, prereqs, resources; then that it agrees with the
# extension: provides.provision.version and the debian/changelog version
# are provision.control's default_version, CHANGELOG.md has a section for
# it, and the files it names exist.  Core Perl only (JSON::PP).  Prints TAP.
#
#   perl test/meta-check.pl [META.json]
use strict;
use warnings;
use JSON::PP;
use File::Basename qw(dirname);

my $root = dirname(dirname(__FILE__));
my $file = shift // "$root/META.json";
my $n    = 0;
my $bad  = 0;

sub ok ($$) {
	my ($cond, $name) = @_;
	$n++;
	print(($cond ? '' : 'not ') . "ok $n - $name\n");
	$bad++ unless $cond;
	return $cond;
}

sub slurp {
	my ($path) = @_;
	open my $fh, '<', $path or return undef;
	local $/;
	return scalar <$fh>;
}

my $semver = qr/^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+)?$/;
my $term   = qr/^[^\s\/\\\x00-\x1f]{2,}$/;
my $tag    = qr/^[^\/\\\x00-\x1f]{1,255}$/;
my %licenses = map { $_ => 1 } qw(agpl_3 apache_1_1 apache_2_0 artistic_1
  artistic_2 bsd freebsd gfdl_1_2 gfdl_1_3 gpl_1 gpl_2 gpl_3 lgpl_2_1 lgpl_3_0
  mit mozilla_1_0 mozilla_1_1 openssl perl_5 postgresql qpl_1_0 ssleay sun
  zlib open_source restricted unrestricted unknown);
my %top = map { $_ => 1 } qw(name version abstract maintainer license provides
  meta-spec description generated_by tags no_index prereqs release_status
  resources);

sub is_str  { defined $_[0] && !ref $_[0] && length $_[0] }
sub is_hash { ref $_[0] eq 'HASH' }
sub is_list { ref $_[0] eq 'ARRAY' }

# a prereq version: 0, a SemVer, or a range of comparisons with SemVers
sub is_prereq_version {
	my ($v) = @_;
	return 0 unless defined $v && !ref $v;
	return 1 if $v eq '0' || $v =~ $semver;
	for my $part (split /\s*,\s*/, $v) {
		return 0 unless $part =~ /^(?:[<>]=?|==|!=)\s*(.+)$/ && $1 =~ $semver;
	}
	return 1;
}

my $text = slurp($file);
ok(defined $text, "$file is readable") or do { print "1..$n\n"; exit 1 };
my $meta = eval { JSON::PP->new->utf8->decode($text) };
ok(is_hash($meta), 'META.json is a JSON object') or do { print "1..$n\n"; exit 1 };

# ---- the spec's structure
ok(is_str($meta->{name}) && $meta->{name} =~ $term, 'name is a Term');
ok(is_str($meta->{version}) && $meta->{version} =~ $semver, 'version is a SemVer');
ok(is_str($meta->{abstract}), 'abstract is a string');
ok(is_str($meta->{maintainer})
	  || (is_list($meta->{maintainer}) && @{ $meta->{maintainer} }
		&& !grep { !is_str($_) } @{ $meta->{maintainer} }),
	'maintainer is a string or a list of strings');
my $lic = $meta->{license};
ok((is_str($lic) && $licenses{$lic})
	  || (is_list($lic) && @$lic && !grep { !is_str($_) || !$licenses{$_} } @$lic)
	  || (is_hash($lic) && %$lic && !grep { !is_str($_) } values %$lic),
	'license is a known license string, a list of them or an object of URLs');
ok(is_hash($meta->{'meta-spec'}) && ($meta->{'meta-spec'}{version} // '') eq '1.0.0',
	'meta-spec.version is 1.0.0');
ok(!exists $meta->{'meta-spec'}{url} || is_str($meta->{'meta-spec'}{url}),
	'meta-spec.url, if any, is a string');

my $provides = $meta->{provides};
if (ok(is_hash($provides) && %$provides, 'provides is a non-empty object'))
{
	for my $ext (sort keys %$provides) {
		my $p = $provides->{$ext};
		ok($ext =~ $term && is_hash($p), "provides.$ext is an object named by a Term");
		next unless is_hash($p);
		ok(is_str($p->{file}), "provides.$ext.file is a path");
		ok(is_str($p->{version}) && $p->{version} =~ $semver, "provides.$ext.version is a SemVer");
		ok(!exists $p->{abstract} || is_str($p->{abstract}), "provides.$ext.abstract, if any, is a string");
		ok(!exists $p->{docfile} || is_str($p->{docfile}), "provides.$ext.docfile, if any, is a path");
		for my $k (qw(file docfile)) {
			next unless is_str($p->{$k});
			ok(-e "$root/$p->{$k}", "provides.$ext.$k ($p->{$k}) exists");
		}
	}
}

ok(!exists $meta->{description} || is_str($meta->{description}), 'description, if any, is a string');
ok(!exists $meta->{generated_by} || is_str($meta->{generated_by}), 'generated_by, if any, is a string');
ok(!exists $meta->{tags}
	  || (is_list($meta->{tags}) && !grep { !is_str($_) || $_ !~ $tag } @{ $meta->{tags} }),
	'tags, if any, is a list of Tags');
ok(!exists $meta->{release_status}
	  || ($meta->{release_status} // '') =~ /^(stable|testing|unstable)$/,
	'release_status, if any, is stable, testing or unstable');
if (exists $meta->{no_index}) {
	my $ni = $meta->{no_index};
	ok(is_hash($ni) && !grep({
			!/^(file|directory)$/ || !(is_str($ni->{$_}) || is_list($ni->{$_}))
		} keys %$ni),
		'no_index has only file and directory, each a path or a list');
}
if (exists $meta->{prereqs}) {
	my $pr = $meta->{prereqs};
	my $good = is_hash($pr);
	if ($good) {
		for my $phase (keys %$pr) {
			$good = 0 unless $phase =~ /^(configure|build|runtime|test|develop)$/ && is_hash($pr->{$phase});
			next unless is_hash($pr->{$phase});
			for my $rel (keys %{ $pr->{$phase} }) {
				my $reqs = $pr->{$phase}{$rel};
				$good = 0 unless $rel =~ /^(requires|recommends|suggests|conflicts)$/ && is_hash($reqs);
				next unless is_hash($reqs);
				$good = 0 if grep { !is_prereq_version($reqs->{$_}) } keys %$reqs;
			}
		}
	}
	ok($good, 'prereqs: phases of relations of names with versions or ranges');
}
if (exists $meta->{resources}) {
	my $r = $meta->{resources};
	my $good = is_hash($r) && !grep { !/^(homepage|bugtracker|repository|x_.*|X_.*)$/ } keys %$r;
	$good &&= !exists $r->{homepage} || is_str($r->{homepage});
	$good &&= !exists $r->{bugtracker} || is_hash($r->{bugtracker});
	$good &&= !exists $r->{repository} || is_hash($r->{repository});
	ok($good, 'resources: homepage, bugtracker and repository of the right types');
}
my @unknown = grep { !$top{$_} && !/^[xX]_/ } keys %$meta;
ok(!@unknown, 'no keys outside the spec (custom keys start with x_)')
  or print "# unknown: @unknown\n";

# ---- agreement with the extension
my $control = slurp("$root/provision.control") // '';
my ($default) = $control =~ /^\s*default_version\s*=\s*'([^']+)'/m;
ok(defined $default, "provision.control has a default_version");
$default //= '?';
my $pv = is_hash($provides) && is_hash($provides->{provision}) ? $provides->{provision}{version} // '' : '';
ok($pv =~ /^\Q$default\E\.\d+$/ || $pv eq $default,
	"provides.provision.version ($pv) is default_version $default");
ok(($meta->{version} // '') eq $pv, "version equals provides.provision.version");
my $changelog = slurp("$root/debian/changelog") // '';
my ($debver) = $changelog =~ /^provision \(([^)-]+)(?:-[^)]*)?\)/;
ok(($debver // '') eq $default, "debian/changelog's version (" . ($debver // 'none') . ") is $default");
my $news = slurp("$root/CHANGELOG.md") // '';
ok($news =~ /^##[^\n]*\b\Q$default\E\b/m, "CHANGELOG.md has a section for $default");
ok(-e "$root/LICENSE" && (slurp("$root/LICENSE") // '') =~ /PostgreSQL License/,
	'LICENSE is the PostgreSQL License, as META.json says');

print "1..$n\n";
exit($bad ? 1 : 0);
