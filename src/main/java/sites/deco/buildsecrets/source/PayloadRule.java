package sites.deco.buildsecrets.source;

/** Every rule an upstream payload must meet before it may become a Secret. */
public enum PayloadRule {
  MALFORMED_JSON("is not well-formed JSON"),
  NULL_PAYLOAD("is JSON null; use {} for an empty Secret"),
  NOT_AN_OBJECT("must be a JSON object of strings"),
  NON_STRING_VALUE("value must be a JSON string"),
  DUPLICATE_KEY("appears more than once"),
  INVALID_KEY("is not a valid Secret data key: use 1-253 characters of [-._a-zA-Z0-9], not '.' or '..'"),
  VALUE_NOT_ENV_SAFE(
      "value contains a NUL character or an unpaired UTF-16 surrogate escape, which an environment variable cannot hold"),
  VALUE_TOO_LONG(
      "value is too long for an environment variable: KEY=value must fit in Linux's 131072-byte limit, or build containers fail to start"),
  TOO_LARGE("total size exceeds the 1 MiB Secret limit"),
  BINARY_SECRET("is a binary secret; store a JSON object in SecretString instead");

  private final String description;

  PayloadRule(String description) {
    this.description = description;
  }

  public String description() {
    return description;
  }
}
