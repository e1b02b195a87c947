# self_service
