"""The e-mail task: the account address verification mail (course: send_verify_email)."""
