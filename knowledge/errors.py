"""Errors that carry a message a worker can read (Vietnamese), raised on out-of-range inputs."""


class InvalidInput(ValueError):
    """An input outside what the law or common sense allows.

    ``message`` is polite Vietnamese for the user; ``field`` names the input that is wrong.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class UnknownProvince(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name
        self.message = (
            f"Tôi chưa nhận ra tỉnh/thành phố “{name}”. Anh/chị cho tôi biết tên tỉnh hoặc thành phố "
            "đang sống (tên mới hoặc tên cũ trước 01/07/2025 đều được) nhé."
        )
