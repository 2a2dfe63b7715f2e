"""moto_server, with the one fix the test bed needs for Secrets Manager version stages.

moto 5.2.1's UpdateSecretVersionStage moves the AWSCURRENT label in its version table but leaves
the secret's default version unchanged, so GetSecretValue and BatchGetSecretValue without a stage
keep returning the old version. AWS returns the version that now carries AWSCURRENT. Here the
default version follows the label, so a version-stage move (the last step of every rotation) reads
as it does on AWS. Everything else is moto unchanged. Started by dev/testbed in place of
moto_server, with the same arguments.
"""
import sys

from moto.secretsmanager import models

_update_secret_version_stage = models.SecretsManagerBackend.update_secret_version_stage


def _update_secret_version_stage_moving_default(self, secret_id, version_stage, remove_from_version_id,
                                                move_to_version_id):
    result = _update_secret_version_stage(self, secret_id, version_stage, remove_from_version_id,
                                          move_to_version_id)
    if version_stage == "AWSCURRENT" and move_to_version_id:
        self.secrets[secret_id].default_version_id = move_to_version_id
    return result


models.SecretsManagerBackend.update_secret_version_stage = _update_secret_version_stage_moving_default

if __name__ == "__main__":
    from moto.server import main

    sys.argv[0] = "moto_server"
    sys.exit(main())
