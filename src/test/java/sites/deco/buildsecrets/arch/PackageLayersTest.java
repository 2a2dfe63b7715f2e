package sites.deco.buildsecrets.arch;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The package layout reads like the architecture, and dependencies run one way. */
class PackageLayersTest {
  private static final JavaClasses MAIN = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("sites.deco.buildsecrets");

  @Test
  void noPackageCycles() {
    slices().matching("sites.deco.buildsecrets.(**)").should().beFreeOfCycles().check(MAIN);
  }

  @Test
  void layersDependDownwardOnly() {
    layeredArchitecture().consideringOnlyDependenciesInLayers()
        .layer("entry").definedBy("sites.deco.buildsecrets.ops..")
        .layer("controller").definedBy("sites.deco.buildsecrets.controller..")
        .layer("kubernetes writes").definedBy("sites.deco.buildsecrets.kube..")
        .layer("rules and state").definedBy("sites.deco.buildsecrets.sync..")
        .layer("sources").definedBy("sites.deco.buildsecrets.source..")
        .layer("telemetry").definedBy("sites.deco.buildsecrets.telemetry..")
        .layer("config").definedBy("sites.deco.buildsecrets.config..")
        .whereLayer("entry").mayNotBeAccessedByAnyLayer()
        .whereLayer("controller").mayOnlyBeAccessedByLayers("entry")
        .whereLayer("kubernetes writes").mayOnlyBeAccessedByLayers("entry", "controller")
        .whereLayer("rules and state").mayOnlyBeAccessedByLayers("entry", "controller", "kubernetes writes")
        .whereLayer("sources").mayOnlyBeAccessedByLayers("entry", "controller", "kubernetes writes", "rules and state")
        .whereLayer("telemetry").mayOnlyBeAccessedByLayers("entry", "controller", "sources")
        .check(MAIN);
  }

  @Test
  void theRulesAndStateMakeNoKubernetesCalls() {
    com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses()
        .that().resideInAPackage("sites.deco.buildsecrets.sync..")
        .should().dependOnClassesThat().resideInAnyPackage("io.fabric8.kubernetes.client..",
            "io.javaoperatorsdk..")
        .check(MAIN);
  }

  @Test
  void onlyTheAwsSourceTalksToTheAwsSdk() {
    com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses()
        .that().resideOutsideOfPackage("sites.deco.buildsecrets.source.aws..")
        .should().dependOnClassesThat().resideInAPackage("software.amazon.awssdk..")
        .check(MAIN);
  }

  @Test
  void onlyTheBackendOptionsTouchTheVaultSource() {
    // The vault package is reached through the Source seam; only the command line's backend
    // options (the wiring seam that picks the backend) may name its classes.
    com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses()
        .that().resideOutsideOfPackage("sites.deco.buildsecrets.source.vault..")
        .and().doNotHaveFullyQualifiedName("sites.deco.buildsecrets.ops.cli.SourceOptions")
        .should().dependOnClassesThat().resideInAPackage("sites.deco.buildsecrets.source.vault..")
        .check(MAIN);
  }

  @Test
  void theVaultSourceUsesNoOtherBackend() {
    com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses()
        .that().resideInAPackage("sites.deco.buildsecrets.source.vault..")
        .should().dependOnClassesThat().resideInAnyPackage("sites.deco.buildsecrets.source.aws..",
            "software.amazon.awssdk..", "sites.deco.buildsecrets.controller..", "sites.deco.buildsecrets.sync..")
        .check(MAIN);
  }
}
