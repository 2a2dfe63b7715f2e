package sites.deco.buildsecrets.ops.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import sites.deco.buildsecrets.source.SecretData;

/**
 * What {@code env set} and {@code env unset} change: keys to set to new values, keys to remove. It
 * is applied to the values read and the result is checked by the operator's own parser before
 * anything is written. Its messages name keys and argument positions, never a value.
 *
 * @param set key to its new value, in the order given
 * @param unset keys to remove
 */
record EnvChange(Map<String, String> set, Set<String> unset) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Where {@code @file} and {@code @-} values come from; a test gives its own. */
  interface Inputs {
    byte[] file(String path) throws IOException;

    byte[] stdin() throws IOException;

    Inputs SYSTEM = new Inputs() {
      @Override
      public byte[] file(String path) throws IOException {
        return Files.readAllBytes(Path.of(path));
      }

      @Override
      public byte[] stdin() throws IOException {
        return System.in.readAllBytes();
      }
    };
  }

  /**
   * The assignments of {@code env set}: {@code KEY=VALUE}, {@code KEY=@FILE} (the file's exact
   * content), {@code KEY=@-} (standard input's), then those of {@code envFile} ({@code -} for
   * standard input). IllegalArgumentException (exit 2) on a malformed argument, a key given twice,
   * standard input used twice, or an unreadable file.
   */
  static EnvChange assignments(List<String> args, String envFile, Inputs inputs) {
    Map<String, String> set = new LinkedHashMap<>();
    boolean stdinUsed = false;
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      int eq = arg.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("argument " + (i + 1) + " after the site is not KEY=VALUE, KEY=@FILE or "
            + "KEY=@- (it is not shown: it may hold a value)");
      }
      String key = arg.substring(0, eq);
      String value = arg.substring(eq + 1);
      if (value.startsWith("@")) {
        String from = value.substring(1);
        if (from.equals("-")) {
          stdinUsed = useStdin(stdinUsed);
        }
        value = text(from.equals("-") ? "standard input" : "file " + from, () -> from.equals("-")
            ? inputs.stdin() : inputs.file(from));
      }
      put(set, key, value, "argument " + (i + 1));
    }
    if (envFile != null) {
      if (envFile.equals("-")) {
        useStdin(stdinUsed);
      }
      String text = text(envFile.equals("-") ? "standard input" : "file " + envFile,
          () -> envFile.equals("-") ? inputs.stdin() : inputs.file(envFile));
      EnvFile.parse(text).forEach((k, v) -> put(set, k, v, "--from-env-file"));
    }
    if (set.isEmpty()) {
      throw new IllegalArgumentException("nothing to set: give KEY=VALUE, KEY=@FILE, KEY=@- or --from-env-file FILE");
    }
    return new EnvChange(set, Set.of());
  }

  /** The keys of {@code env unset}. */
  static EnvChange removals(List<String> keys) {
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("name the keys to remove");
    }
    return new EnvChange(Map.of(), new TreeSet<>(keys));
  }

  /** The values after this change, sorted by key. */
  Map<String, String> applyTo(SecretData current) {
    Map<String, String> out = plain(current);
    out.putAll(set);
    out.keySet().removeAll(unset);
    return out;
  }

  /** The keys to remove that the values read do not hold: nothing to do for them. */
  TreeSet<String> absent(SecretData current) {
    TreeSet<String> out = new TreeSet<>(unset);
    out.removeAll(current.keys());
    return out;
  }

  /** Plain values, as upstream's JSON holds them. */
  static Map<String, String> plain(SecretData data) {
    Map<String, String> out = new TreeMap<>();
    data.base64().forEach((k, v) -> out.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
    return out;
  }

  /** The upstream payload: a JSON object of strings. */
  static String json(Map<String, String> values) {
    try {
      return JSON.writeValueAsString(values);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a map of strings is always JSON");
    }
  }

  private static boolean useStdin(boolean used) {
    if (used) {
      throw new IllegalArgumentException("standard input can give one value or one env file, not two");
    }
    return true;
  }

  private static void put(Map<String, String> set, String key, String value, String where) {
    if (set.putIfAbsent(key, value) != null) {
      throw new IllegalArgumentException(where + " sets a key that is set already: give each key once");
    }
  }

  private interface Read {
    byte[] bytes() throws IOException;
  }

  /** UTF-8 text, or exit 2 naming the source (a path or standard input), never its content. */
  private static String text(String what, Read read) {
    byte[] bytes;
    try {
      bytes = read.bytes();
    } catch (IOException | UncheckedIOException e) {
      throw new IllegalArgumentException("cannot read " + what + " (" + e.getClass().getSimpleName() + ")");
    }
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException(what + " is not UTF-8 text: a build variable holds text");
    }
  }
}
