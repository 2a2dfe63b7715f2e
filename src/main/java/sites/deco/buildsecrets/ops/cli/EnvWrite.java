package sites.deco.buildsecrets.ops.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import picocli.CommandLine.Model.CommandSpec;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.source.PayloadParser;
import sites.deco.buildsecrets.source.SecretData;
import sites.deco.buildsecrets.source.Source;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.source.TokenBucket;
import sites.deco.buildsecrets.source.Upstream;
import sites.deco.buildsecrets.source.UpstreamWriter;
import sites.deco.buildsecrets.sync.KeyDiff;

/**
 * The path every {@code env} write takes: refuse a namespace the operator does not deliver to
 * (unless --force), read upstream, let the command propose the new data (checked by the operator's
 * own parser), show it by key names, refuse a removal without --allow-removal, write conditionally
 * on the version read, tag the key with the writer, then request a sync and wait for the Secret.
 */
final class EnvWrite {
  /** Tags on the upstream key naming the last writer; CloudTrail is the audit log of record. */
  static final String TAG_WRITTEN_BY = "deco.sites/last-written-by";
  static final String TAG_WRITTEN_WITH = "deco.sites/last-written-with";
  static final String TAG_WRITTEN_VERSION = "deco.sites/last-written-version";
  static final String TOOL = "build-secrets-operator env ";

  private EnvWrite() {}

  /** What a command proposes once it has read upstream. */
  sealed interface Proposal {
    record Refused(String reason) implements Proposal {}

    /**
     * @param needed false when the write would change nothing
     * @param write makes the proposal current, conditional on the version read; returns the version now current
     */
    record Change(SecretData before, SecretData after, boolean needed, Write write) implements Proposal {}
  }

  @FunctionalInterface
  interface Write {
    String apply(UpstreamWriter writer, EnvReport r)
        throws SourceException, UpstreamWriter.ConcurrentWrite, UpstreamWriter.KeyExists;
  }

  @FunctionalInterface
  interface Planner {
    Proposal plan(Source source, UpstreamWriter writer, EnvSite site, EnvReport r) throws SourceException;
  }

  static int run(String command, CommandSpec spec, Naming naming, SourceOptions sourceOptions,
      EnvWriteOptions options, String siteArg, Planner planner) throws InterruptedException {
    CliSupport.quietLogging();
    EnvSite.siteOf(naming, siteArg); // usage errors before any call
    sourceOptions.requireAws("env " + command);
    Duration wait = options.waitTimeout();
    PrintWriter out = spec.commandLine().getOut();
    HandOverSupport.Format format = options.output;
    TokenBucket bucket = sourceOptions.tokenBucket();
    try (Source source = sourceOptions.open(bucket);
        UpstreamWriter writer = sourceOptions.openWriter(bucket);
        KubernetesClient client = new KubernetesClientBuilder().build()) {
      EnvSite site = EnvSite.resolve(naming, client, siteArg);
      EnvReport r = new EnvReport(command, site);
      r.line("site " + site.site() + ": namespace " + site.namespace() + ", upstream key " + site.key());
      if (site.deliveryRefusal() != null) {
        if (!options.force) {
          return r.finish(EnvReport.Status.REFUSED, site.deliveryRefusal() + ": the operator would not deliver this "
              + "write; nothing was written (--force writes anyway)", out, format);
        }
        r.warn(site.deliveryRefusal() + ": writing anyway (--force); the operator does not deliver it there");
      }
      Proposal proposal;
      try {
        proposal = planner.plan(source, writer, site, r);
      } catch (SourceException e) {
        return r.finish(EnvReport.Status.FAILED, "reading upstream failed, " + e.getMessage() + "; nothing was written"
            + accessHint(e, site), out, format);
      }
      if (proposal instanceof Proposal.Refused refused) {
        return r.finish(EnvReport.Status.REFUSED, refused.reason() + "; nothing was written", out, format);
      }
      Proposal.Change change = (Proposal.Change) proposal;
      KeyDiff diff = KeyDiff.between(change.before(), change.after());
      r.change(diff);
      if (!change.needed()) {
        return r.finish(EnvReport.Status.NO_CHANGE, "nothing to write", out, format);
      }
      if ((!diff.removed().isEmpty() || change.after().keys().isEmpty()) && !options.allowRemoval) {
        return r.finish(EnvReport.Status.REFUSED, (change.after().keys().isEmpty()
            ? "the result holds no key ({}): every build of the site would lose its variables"
            : "this write removes " + diff.removed()) + "; give --allow-removal to write it; nothing was written",
            out, format);
      }
      if (options.dryRun) {
        return r.finish(EnvReport.Status.DRY_RUN, "dry run: nothing written", out, format);
      }
      String caller = caller(writer, r);
      String version;
      try {
        version = change.write().apply(writer, r);
      } catch (UpstreamWriter.ConcurrentWrite e) {
        return r.finish(EnvReport.Status.CONFLICT, e.getMessage() + "; that write stays current and yours was not "
            + "made" + (e.leftOver == null ? "" : "; " + e.leftOver) + ": run the command again to apply your change "
            + "to the current value", out, format);
      } catch (UpstreamWriter.KeyExists e) {
        return r.finish(EnvReport.Status.CONFLICT, e.getMessage() + " (someone created it since it was read); yours "
            + "was not written: run the command again to apply your change to it", out, format);
      } catch (SourceException e) {
        return r.finish(EnvReport.Status.FAILED, "upstream write failed, " + e.getMessage() + accessHint(e, site),
            out, format);
      }
      r.put("version", version);
      tag(writer, site, command, caller, version, r);
      if (site.deliveryRefusal() != null || options.noSync) {
        r.put("sync", "skipped");
        r.line("sync: not requested (" + (options.noSync ? "--no-sync" : "the operator does not deliver here")
            + "); with change events configured the operator reads the key within seconds anyway, else at its next "
            + "resync");
      } else {
        EnvSync.deliver(client, naming, site, version, wait, r);
      }
      return r.finish(EnvReport.Status.WRITTEN, null, out, format);
    }
  }

  /** The planner of {@code env set} and {@code env unset}: {@code change} applied to the value read. */
  static Planner edit(EnvChange change) {
    return (source, writer, site, r) -> {
      SecretData before;
      String readVersion;
      switch (source.read(site.key())) {
        case Upstream.Found f -> {
          before = f.data();
          readVersion = f.version();
          r.put("readVersion", readVersion);
          r.line("read: version " + readVersion + ", keys " + before.keys());
        }
        case Upstream.Missing m when m.reason() == Upstream.MissingReason.NOT_FOUND && change.unset().isEmpty() -> {
          before = SecretData.fromStrings(Map.of());
          readVersion = null;
          r.line("read: the key does not exist: it will be created");
        }
        case Upstream.Missing m -> {
          return new Proposal.Refused("upstream key " + site.key() + " is " + m.reason().description()
              + (m.reason() == Upstream.MissingReason.NOT_FOUND ? ": nothing to remove" : ": restore it first"));
        }
        case Upstream.Invalid i -> {
          return new Proposal.Refused("the current payload is refused by the operator (" + i.describe() + "): a "
              + "change cannot be applied to it; see env history, then env rollback to a valid version");
        }
        case Upstream.Unreachable u -> throw new SourceException(u.kind(), u.detail());
      }
      TreeSet<String> absent = change.absent(before);
      if (!absent.isEmpty()) {
        r.line("not present, nothing to remove: " + absent);
      }
      String json = EnvChange.json(change.applyTo(before));
      // The operator's own parser: nothing it would refuse is ever written.
      Upstream checked = PayloadParser.parse(json, readVersion);
      if (checked instanceof Upstream.Invalid invalid) {
        return new Proposal.Refused("the result breaks the operator's payload rules: " + invalid.describe());
      }
      SecretData after = ((Upstream.Found) checked).data();
      Write write = readVersion == null
          ? (w, rep) -> {
            String v = w.create(site.key(), json, Map.of());
            rep.line("written: created " + site.key() + " at version " + v);
            return v;
          }
          : (w, rep) -> {
            UpstreamWriter.Replaced replaced = w.replaceCurrent(site.key(), json, readVersion);
            rep.line("written: version " + replaced.version() + " is current, in place of version " + readVersion);
            if (replaced.leftOver() != null) {
              rep.warn(replaced.leftOver());
            }
            return replaced.version();
          };
      return new Proposal.Change(before, after, !before.equals(after), write);
    };
  }

  /** The caller's ARN, for the tags; a failure only costs the tag (CloudTrail still names the caller). */
  private static String caller(UpstreamWriter writer, EnvReport r) {
    try {
      String arn = writer.caller();
      r.put("writer", arn);
      return arn;
    } catch (SourceException e) {
      r.warn("who you are could not be read from STS GetCallerIdentity (" + e.getMessage() + "); the tag "
          + TAG_WRITTEN_BY + " says unknown");
      return "unknown";
    }
  }

  private static void tag(UpstreamWriter writer, EnvSite site, String command, String caller, String version,
      EnvReport r) {
    Map<String, String> tags = new LinkedHashMap<>();
    tags.put(TAG_WRITTEN_BY, caller);
    tags.put(TAG_WRITTEN_WITH, TOOL + command);
    tags.put(TAG_WRITTEN_VERSION, version);
    try {
      writer.tag(site.key(), tags);
      r.line("tagged: " + TAG_WRITTEN_BY + "=" + caller + ", " + TAG_WRITTEN_WITH + "=" + TOOL + command);
    } catch (SourceException e) {
      r.warn("the write went through, but tagging " + site.key() + " failed (" + e.getMessage() + "); CloudTrail "
          + "still records who wrote it");
    }
  }

  private static String accessHint(SourceException e, EnvSite site) {
    return e.kind() == SourceException.Kind.ACCESS_DENIED
        ? " (env uses your AWS credentials: the build variables editor policy in docs/operations.md grants what it "
            + "needs on " + site.key() + ")"
        : "";
  }
}
