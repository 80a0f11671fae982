from django.apps import AppConfig


class ServerConfig(AppConfig):
    name = "fcm.server"
    label = "server"
    verbose_name = "Server"

    def ready(self):
        # The engine's pass grades trainees' labs and renders consoles' fragments through hooks: the
        # engine may not import the apps above it, so the composition root hands them over.
        from fcm.engine.runner import register_hooks
        from fcm.live.fragments import render_notice, render_pushes
        from fcm.training.grading import after_changes

        register_hooks(grade=after_changes, render=render_pushes, notice=render_notice)
